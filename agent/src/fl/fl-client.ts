/**
 * The device side of a federated round (DESIGN.md §4 FL client; McMahan et al. 2017 Alg. 1 ClientUpdate).
 * On an `fl-task` it decides (eligibility.ts) and answers accept or decline; an accepted round fetches the
 * global weights over `fetch/req` like a bundle (chunk hashes checked), trains on the local sample store
 * (raw samples never leave the device), turns the result into a delta, clips and noises it when the round
 * asks for DP, masks it when the round uses secure aggregation (after the coordinator sends the peers'
 * keys), and uploads it in ≤ 64 KiB parts closed by a `done` with the sample count and the sha256 of the
 * whole update. Survivors of a masked round answer `fl-reveal-req` with their pairwise seeds with the
 * dropped clients. One round at a time: a second task while busy is declined.
 */

import { readFile, rm } from 'node:fs/promises';
import {
  type Clock,
  encodeCbor,
  FL_LIMITS,
  type FlTask,
  type FlTaskMessage,
  type FlUpdateMessage,
  float32FromBytes,
  float32ToBytes,
  type MlpSpec,
  maskedUpdate,
  mlpParameterCount,
  pairwiseSeedsFor,
  privatizeUpdate,
  type SecAggKeyPair,
  secAggKeyPair,
  sha256Hex,
  type Unstamped,
  uint32ToBytes,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import type { Fetcher } from '../fetch/fetcher.js';
import { type DeviceConditions, declineReason, type FlPolicy } from './eligibility.js';
import type { MlpTrainer } from './mlp-trainer.js';
import type { SampleStore } from './sample-store.js';

type RoundPhase = 'training' | 'awaiting-peers' | 'uploading' | 'submitted' | 'ended';
/** How long after its deadline a submitted masked round still answers a reveal request. */
const REVEAL_GRACE_MS = 60_000;

interface ActiveRound {
  readonly task: FlTask;
  phase: RoundPhase;
  readonly keys: SecAggKeyPair | null;
  peers: { deviceId: string; publicKey: Uint8Array }[] | null;
  wakePeers: () => void;
}

export interface FlClientStats {
  readonly offered: number;
  readonly accepted: number;
  readonly declined: Record<string, number>;
  readonly submitted: number;
  readonly failed: number;
}

export interface FlClient {
  handle(message: FlTaskMessage): void;
  stats(): FlClientStats;
  /** Resolves when no round is in progress (tests). */
  idle(): Promise<void>;
  close(): void;
}

export function createFlClient(options: {
  deviceId: string;
  clock: Clock;
  logger: Logger;
  policy: FlPolicy;
  samples: SampleStore;
  conditions: DeviceConditions;
  fetcher: Fetcher;
  trainerFor(spec: MlpSpec): Promise<MlpTrainer>;
  lastInferenceAt(): number | null;
  publish(payload: Uint8Array): Promise<void>;
}): FlClient {
  const { deviceId, clock, logger } = options;
  let active: ActiveRound | null = null;
  let running: Promise<void> = Promise.resolve();
  let closed = false;
  const revealable = new Map<string, ActiveRound>();
  const stats = { offered: 0, accepted: 0, declined: {} as Record<string, number>, submitted: 0, failed: 0 };

  const send = (message: Unstamped<FlUpdateMessage>) =>
    options.publish(encodeCbor({ v: 1, ts: clock.now(), ...message }));

  function offer(task: FlTask): void {
    stats.offered++;
    const last = options.lastInferenceAt();
    const reason =
      active !== null
        ? 'busy'
        : declineReason({
            policy: options.policy,
            samples: options.samples.count(task.line),
            taskMinSamples: task.minSamples,
            msSinceInference: last === null ? null : clock.now() - last,
            conditions: options.conditions,
          });
    const log = logger.child({ roundId: task.roundId, line: task.line });
    if (reason !== null) {
      stats.declined[reason] = (stats.declined[reason] ?? 0) + 1;
      log.info({ reason }, 'federated task declined');
      void send({ type: 'fl-decline', roundId: task.roundId, reason }).catch((error: unknown) =>
        log.warn({ err: error }, 'decline not sent'),
      );
      return;
    }
    const round: ActiveRound = {
      task,
      phase: 'training',
      keys: task.secureAggregation === null ? null : secAggKeyPair(),
      peers: null,
      wakePeers: () => {},
    };
    active = round;
    stats.accepted++;
    running = run(round, log)
      .catch((error: unknown) => {
        stats.failed++;
        log.warn({ err: error }, 'federated round failed on this device');
      })
      .finally(() => {
        round.phase = 'ended';
        if (active === round) active = null;
      });
  }

  async function run(round: ActiveRound, log: Logger): Promise<void> {
    const { task } = round;
    const local = options.samples.read(task.line);
    if (local.featureCount !== task.spec.layers[0]) {
      throw new AgentError(
        'FL_TASK_INVALID',
        `local samples have ${local.featureCount} features, the model takes ${task.spec.layers[0]}`,
      );
    }
    await send({
      type: 'fl-accept',
      roundId: task.roundId,
      sampleCount: local.n,
      publicKey: round.keys?.publicKey ?? null,
    });
    const path = await options.fetcher.fetch(task.weights, () => {});
    const global = float32FromBytes(await readFile(path));
    await rm(path, { force: true });
    if (global.length !== mlpParameterCount(task.spec)) {
      throw new AgentError(
        'FL_TASK_INVALID',
        `global weights have ${global.length} values, the spec needs ${mlpParameterCount(task.spec)}`,
      );
    }
    const started = clock.now();
    const trainer = await options.trainerFor(task.spec);
    const trained = await trainer.train({
      weights: global,
      x: local.x,
      y: local.y,
      epochs: task.epochs,
      batchSize: task.batchSize,
      lr: task.lr,
      mu: task.mu,
      seed: task.seed,
    });
    if (round.phase === 'ended' || closed) return;
    let delta: Float32Array = new Float32Array(global.length);
    for (let i = 0; i < delta.length; i++) delta[i] = (trained.weights[i] as number) - (global[i] as number);
    if (task.dp !== null) delta = privatizeUpdate(delta, task.dp).delta;
    const bytes = await encodeUpdate(round, delta, local.n);
    if (bytes === null) return;
    round.phase = 'uploading';
    const count = Math.ceil(bytes.length / FL_LIMITS.maxPartBytes);
    for (let index = 0; index < count; index++) {
      const part = bytes.subarray(index * FL_LIMITS.maxPartBytes, (index + 1) * FL_LIMITS.maxPartBytes);
      await send({ type: 'fl-update-part', roundId: task.roundId, index, count, bytes: part });
    }
    await send({
      type: 'fl-update-done',
      roundId: task.roundId,
      sampleCount: local.n,
      encoding: round.keys === null ? 'f32-delta' : 'u32-masked',
      digest: sha256Hex(bytes),
      metrics: { loss: trained.loss, steps: trained.steps, trainMs: clock.now() - started },
    });
    round.phase = 'submitted';
    stats.submitted++;
    log.info({ samples: local.n, steps: trained.steps, loss: trained.loss }, 'federated update sent');
    // A masked round may still ask for seeds after dropouts: keep its keys until the reveal can no longer come.
    if (round.keys !== null) {
      revealable.set(task.roundId, round);
      clock.setTimer(Math.max(0, task.deadline - clock.now()) + REVEAL_GRACE_MS, () => revealable.delete(task.roundId));
    }
  }

  async function encodeUpdate(
    round: ActiveRound,
    delta: Float32Array,
    sampleCount: number,
  ): Promise<Uint8Array | null> {
    const { task, keys } = round;
    if (keys === null || task.secureAggregation === null) return float32ToBytes(delta);
    round.phase = 'awaiting-peers';
    if (round.peers === null) {
      await new Promise<void>((resolve) => {
        round.wakePeers = resolve;
        clock.setTimer(Math.max(0, task.deadline - clock.now()), resolve);
      });
    }
    if (round.peers === null || (round.phase as RoundPhase) === 'ended') return null;
    const peers = round.peers.filter((p) => p.deviceId !== deviceId);
    const masked = maskedUpdate({
      roundId: task.roundId,
      selfId: deviceId,
      secretKey: keys.secretKey,
      peers,
      delta,
      sampleCount,
      scaleBits: task.secureAggregation.scaleBits,
      clipAbs: task.secureAggregation.clipAbs,
    });
    return uint32ToBytes(masked);
  }

  function reveal(round: ActiveRound, dropped: readonly string[]): void {
    // Only rounds this device submitted are in `revealable`; a dropped client never reveals anything.
    if (round.keys === null || round.peers === null) return;
    const droppedPeers = round.peers.filter((p) => dropped.includes(p.deviceId) && p.deviceId !== deviceId);
    const seeds = pairwiseSeedsFor({
      roundId: round.task.roundId,
      selfId: deviceId,
      secretKey: round.keys.secretKey,
      dropped: droppedPeers,
    });
    const revealed = seeds.map((s: { a: string; b: string; seed: Uint8Array }) => ({
      peer: s.a === deviceId ? s.b : s.a,
      seed: s.seed,
    }));
    void send({ type: 'fl-reveal', roundId: round.task.roundId, seeds: revealed }).catch((error: unknown) =>
      logger.warn({ err: error, roundId: round.task.roundId }, 'reveal not sent'),
    );
  }

  return {
    handle(message) {
      if (closed) return;
      if (message.type === 'fl-task') return offer(message.task);
      if (message.type === 'fl-reveal-req') {
        const submitted = revealable.get(message.roundId);
        if (submitted !== undefined) reveal(submitted, message.dropped);
        return;
      }
      const round = active;
      if (round === null || round.task.roundId !== message.roundId) return;
      if (message.type === 'fl-peers') {
        round.peers = message.peers;
        round.wakePeers();
      } else {
        logger.info({ roundId: message.roundId, reason: message.reason }, 'federated round cancelled');
        round.phase = 'ended';
        round.wakePeers();
      }
    },
    stats: () => ({ ...stats, declined: { ...stats.declined } }),
    idle: () => running,
    close() {
      closed = true;
      if (active !== null) {
        active.phase = 'ended';
        active.wakePeers();
      }
    },
  };
}
