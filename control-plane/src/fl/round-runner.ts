/**
 * One round attempt of a federated job, in memory, from offer to a finished set of updates (McMahan et al.
 * 2017 Alg. 1 "ClientUpdate" collection; Bonawitz et al. 2017 §4 rounds for secure aggregation). It offers
 * the task to the selected devices, records accepts and declines, reassembles each update (bounded,
 * digest-checked), and ends at the deadline — or as soon as every accepted client has submitted. With
 * secure aggregation the accepted clients' public keys go out when the accept window closes; clients that
 * then fail to submit are declared dropped and the survivors are asked to reveal their pairwise seeds with
 * them (a dropped client's late update is refused from then on: its masks are already being removed).
 * Every refusal throws a ControlPlaneError with a code; the ingest dispatcher logs and counts it, and the
 * round goes on. Aggregation itself is the coordinator's job.
 */
import {
  deviceTopic,
  encodeCbor,
  type FlTask,
  type FlTaskMessage,
  type FlUpdateMessage,
  maxSafeScaleBits,
  type Unstamped,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';
import { type ClientStatus, type RoundState, transitionClient, transitionRound } from './fl-state.js';
import type { Client, RoundDeps, RoundOutcome, RoundRunner, SubmittedUpdate } from './round-types.js';
import { createUpdateAssembler, decodeUpdate } from './update-assembler.js';

const bytesOf = (values: Float32Array | Uint32Array) =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength);

/** What a restarted control plane reads back of a round it had open (restoreClients in round-restore.ts). */
export interface RestoredRound {
  readonly state: 'offering' | 'training';
  readonly startedAt: number;
  readonly peersSent: boolean;
  readonly clients: ReadonlyMap<string, Client>;
}

export function startRound(options: {
  task: FlTask;
  selected: readonly string[];
  quorum: number;
  acceptWindowMs: number;
  revealWindowMs: number;
  parameterCount: number;
  deps: RoundDeps;
  /** Continue a round the control plane had open before it restarted, with the updates it had stored. */
  restored?: RestoredRound;
}): RoundRunner {
  const { task, deps, quorum, restored } = options;
  const { roundId } = task;
  const secure = task.secureAggregation !== null;
  const log = deps.logger.child({ jobId: task.jobId, round: task.round, roundId });
  const clients = new Map<string, Client>(
    restored?.clients ??
      options.selected.map((id) => [
        id,
        { status: 'offered', sampleCount: 0, publicKey: null, assembler: null, values: null },
      ]),
  );
  let state: RoundState = restored?.state ?? 'offering';
  let peersSent = restored?.peersSent ?? false;
  let suspended = false;
  let dropped: string[] = [];
  const revealed = new Map<string, { peer: string; seed: Uint8Array }[]>();
  const timers: (() => void)[] = [];
  let finish: (outcome: RoundOutcome) => void = () => {};
  const outcome = new Promise<RoundOutcome>((resolve) => {
    finish = resolve;
  });

  const send = (deviceId: string, message: Unstamped<FlTaskMessage>) =>
    deps
      .publish(deviceTopic(deviceId, 'fl/task'), encodeCbor({ v: 1, ts: deps.clock.now(), ...message }))
      .catch((error: unknown) => log.warn({ err: error, deviceId }, 'federated message not delivered'));
  // The round's state machine runs synchronously on each message; its database records follow in order on
  // one write chain, and the round's outcome is delivered only once they are all stored.
  let writes: Promise<void> = Promise.resolve();
  const write = (what: string, run: () => Promise<void>) => {
    writes = writes.then(run).catch((error: unknown) => log.error({ err: error, roundId }, `could not record ${what}`));
  };
  const setState = (next: RoundState) => {
    state = transitionRound(state, next);
    write('the round state', () => deps.store.updateRound(roundId, { state }));
  };
  const setClient = (deviceId: string, client: Client, status: ClientStatus, detail?: string) => {
    client.status = transitionClient(client.status, status);
    // An accept's public key and a submitted update are stored with the status: a restarted control plane
    // continues the round with them (and the device's PUBACK waits for this write).
    const fields = {
      status,
      ...(client.sampleCount > 0 ? { sampleCount: client.sampleCount } : {}),
      ...(detail === undefined ? {} : { detail }),
      ...(status === 'accepted' && client.publicKey !== null ? { publicKey: client.publicKey } : {}),
      ...(status === 'submitted' && client.values !== null ? { updateBytes: bytesOf(client.values) } : {}),
    };
    write('a client status', () => deps.store.setClient(roundId, deviceId, fields));
  };
  const counts = () => {
    const tally: Record<ClientStatus, number> = {
      offered: 0,
      accepted: 0,
      declined: 0,
      submitted: 0,
      dropped: 0,
      rejected: 0,
    };
    for (const c of clients.values()) tally[c.status]++;
    return tally;
  };
  const closed = (message: string) => new ControlPlaneError('FL_ROUND_CLOSED', message, { details: { roundId } });

  function end(result: 'completed' | 'failed', error: string | null): void {
    for (const cancel of timers.splice(0)) cancel();
    const updates: SubmittedUpdate[] = [];
    for (const [deviceId, c] of clients) {
      if (c.status === 'submitted' && c.values !== null)
        updates.push({ deviceId, sampleCount: c.sampleCount, values: c.values });
    }
    if (result === 'failed') setState('failed');
    else setState('aggregating');
    const metrics = { ...counts() };
    write('the round metrics', () => deps.store.updateRound(roundId, { error, metrics }));
    const peers = new Map<string, Uint8Array>();
    for (const [id, c] of clients) if (c.publicKey !== null && peersSent) peers.set(id, c.publicKey);
    // The updates now live in the outcome; a round that ended is never continued after a restart.
    write('clearing the stored updates', () => deps.store.clearUpdates(roundId));
    const settled: RoundOutcome = { state: result, error, updates, peers, dropped, revealed, counts: counts() };
    void writes.then(() => finish(settled));
  }

  function sendPeers(): void {
    if (peersSent || !secure || state !== 'training') return;
    peersSent = true;
    write('the peer set', () => deps.store.updateRound(roundId, { peersSentAt: deps.clock.now() }));
    const peers = [...clients]
      .filter(([, c]) => c.status === 'accepted')
      .map(([deviceId, c]) => ({ deviceId, publicKey: c.publicKey as Uint8Array }));
    // Offered devices that never answered cannot join a masked round: their keys are not in the peer set.
    for (const [id, c] of clients)
      if (c.status === 'offered') setClient(id, c, 'dropped', 'no answer before the accept window closed');
    // Masked sums live in Z_2^32: refuse a round whose announced samples could overflow the fixed point.
    const announced = [...clients.values()].reduce((sum, c) => sum + (c.status === 'accepted' ? c.sampleCount : 0), 0);
    const { scaleBits, clipAbs } = task.secureAggregation as { scaleBits: number; clipAbs: number };
    if (announced > 0 && maxSafeScaleBits({ maxTotalSamples: announced, clipAbs }) < scaleBits) {
      end(
        'failed',
        `FL_CONFIG_INVALID: ${announced} samples overflow ${scaleBits} fixed-point bits at clip ±${clipAbs}`,
      );
      return;
    }
    if (peers.length < quorum) {
      end('failed', `only ${peers.length} clients accepted, quorum is ${quorum}`);
      return;
    }
    for (const peer of peers) void send(peer.deviceId, { type: 'fl-peers', roundId, peers });
  }

  function closeCollection(): void {
    if (state !== 'training') return;
    const submitted = counts().submitted;
    const late = [...clients].filter(([, c]) => c.status === 'accepted' || c.status === 'offered');
    for (const [id, c] of late) setClient(id, c, 'dropped', 'no update before the deadline');
    if (submitted < quorum) {
      end('failed', `FL_QUORUM_NOT_MET: ${submitted} updates, quorum is ${quorum}`);
      return;
    }
    dropped = late.map(([id]) => id).filter((id) => clients.get(id)?.publicKey !== null && peersSent);
    if (!secure || dropped.length === 0) {
      end('completed', null);
      return;
    }
    setState('revealing');
    for (const [id, c] of clients)
      if (c.status === 'submitted') void send(id, { type: 'fl-reveal-req', roundId, dropped });
    timers.push(deps.clock.setTimer(options.revealWindowMs, () => revealDone()));
  }

  function revealDone(): void {
    if (state !== 'revealing') return;
    const survivors = [...clients].filter(([, c]) => c.status === 'submitted').map(([id]) => id);
    const missing = survivors.filter((id) => !revealed.has(id));
    if (missing.length > 0) {
      end('failed', `survivors ${missing.join(', ')} did not reveal their seeds`);
      return;
    }
    end('completed', null);
  }

  function maybeEarly(): void {
    const tally = counts();
    if (tally.offered > 0 || tally.accepted > 0) return;
    if (secure && !peersSent) return;
    closeCollection();
  }

  function handle(deviceId: string, message: FlUpdateMessage): void {
    if (suspended) throw closed(`round ${roundId} is suspended: the control plane is stopping`);
    const client = clients.get(deviceId);
    if (client === undefined) {
      throw new ControlPlaneError('FL_NOT_SELECTED', `device ${deviceId} was not selected for round ${roundId}`, {
        details: { roundId, deviceId },
      });
    }
    if (state === 'completed' || state === 'failed' || state === 'aggregating')
      throw closed(`round ${roundId} is ${state}`);
    switch (message.type) {
      case 'fl-accept': {
        if (client.status !== 'offered') throw closed(`device ${deviceId} already answered (${client.status})`);
        if (secure && (message.publicKey === null || peersSent)) {
          setClient(deviceId, client, 'rejected', peersSent ? 'accepted after the peer set was sent' : 'no public key');
          throw closed('a secure-aggregation round needs a public key before the accept window closes');
        }
        client.sampleCount = message.sampleCount;
        client.publicKey = message.publicKey;
        setClient(deviceId, client, 'accepted');
        if (secure && counts().offered === 0) sendPeers();
        return;
      }
      case 'fl-decline':
        if (client.status !== 'offered') throw closed(`device ${deviceId} already answered (${client.status})`);
        setClient(deviceId, client, 'declined', message.reason);
        if (secure && counts().offered === 0) sendPeers();
        maybeEarly();
        return;
      case 'fl-update-part':
        if (client.status !== 'accepted' || state !== 'training')
          throw closed(`device ${deviceId} is ${client.status}`);
        client.assembler ??= createUpdateAssembler(options.parameterCount * 4);
        client.assembler.add(message);
        return;
      case 'fl-update-done':
        submit(deviceId, client, message);
        return;
      case 'fl-reveal':
        if (state !== 'revealing' || client.status !== 'submitted') throw closed(`round ${roundId} is not revealing`);
        revealed.set(deviceId, message.seeds);
        if ([...clients].every(([id, c]) => c.status !== 'submitted' || revealed.has(id))) revealDone();
        return;
    }
  }

  function submit(
    deviceId: string,
    client: Client,
    message: Extract<FlUpdateMessage, { type: 'fl-update-done' }>,
  ): void {
    if (client.status !== 'accepted' || state !== 'training') throw closed(`device ${deviceId} is ${client.status}`);
    if (secure && !peersSent) throw closed('update arrived before the peer set was sent');
    try {
      if (client.assembler === null) throw new ControlPlaneError('FL_UPDATE_INVALID', 'update has no parts');
      client.values = decodeUpdate({
        bytes: client.assembler.finish(message.digest),
        message,
        secure,
        announcedSamples: client.sampleCount,
        deviceId,
        parameterCount: options.parameterCount,
      });
    } catch (error) {
      client.assembler = null;
      client.values = null;
      setClient(deviceId, client, 'rejected', (error as Error).message);
      maybeEarly();
      throw error;
    }
    client.assembler = null;
    client.sampleCount = message.sampleCount;
    setClient(deviceId, client, 'submitted');
    maybeEarly();
  }

  const now = deps.clock.now();
  if (restored === undefined) {
    setState('training');
    for (const deviceId of clients.keys()) void send(deviceId, { type: 'fl-task', task });
  } else if (state === 'offering') {
    setState('training');
  }
  const acceptEndsAt = (restored?.startedAt ?? now) + options.acceptWindowMs;
  if (secure && !peersSent) timers.push(deps.clock.setTimer(Math.max(0, acceptEndsAt - now), sendPeers));
  timers.push(deps.clock.setTimer(Math.max(0, task.deadline - now), closeCollection));
  if (restored !== undefined) {
    log.info({ ...counts() }, 'federated round continued after a restart');
    maybeEarly();
  }

  return {
    id: roundId,
    task,
    handle(deviceId, message) {
      handle(deviceId, message);
      return writes;
    },
    servesBlob: (deviceId, digest) =>
      clients.has(deviceId) && digest === task.weights.digest && (state === 'training' || state === 'offering')
        ? task.weights
        : null,
    suspend() {
      // The control plane is stopping: the round stays open in the database, with what it stored, for the
      // next start to continue (no fl-cancel: devices keep training and submit to the restarted one).
      for (const cancel of timers.splice(0)) cancel();
      suspended = true;
    },
    cancel(reason) {
      if (state === 'completed' || state === 'failed' || state === 'aggregating') return;
      for (const id of clients.keys()) void send(id, { type: 'fl-cancel', roundId, reason });
      end('failed', `cancelled: ${reason}`);
    },
    outcome,
  };
}
