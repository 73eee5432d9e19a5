/**
 * Drives one federated job round after round (McMahan et al. 2017 Alg. 1, server side): pick max(C·K,
 * minClients) of the K online devices the selector matches (seeded, so a job is reproducible), run the
 * round, aggregate with the job's strategy (through secure-aggregation unmasking when the round is masked),
 * evaluate the new global model on the held-out set, persist it (weights blob, strategy state, metrics) and
 * go on. A failed round (quorum not met, too few devices online) is retried after `retryDelayMs`; after
 * `maxFailedRounds` failures in a row the job fails. When the rounds are done the best or final model is
 * registered and, if the job asks, rolled out.
 */
import {
  type Clock,
  chunkBundle,
  dpEpsilon,
  type FlTask,
  float32FromBytes,
  float32ToBytes,
  mlpParameterCount,
  mulberry32,
  shuffled,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { EventBus } from '../events/event-bus.js';
import type { BlobStore } from '../registry/blob-store.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { hardwareProfileOf, matchesSelector } from '../rollouts/membership.js';
import type { RolloutService } from '../rollouts/rollout-service.js';
import type { EvalSets } from './eval-sets.js';
import { evaluateMlp } from './evaluator.js';
import { type JobState, transitionJob } from './fl-state.js';
import type { FlStore, JobRow } from './fl-store.js';
import type { JobConfig } from './job-config.js';
import { finishJob } from './job-result.js';
import { restoreClients } from './round-restore.js';
import { startRound } from './round-runner.js';
import type { RoundOutcome, RoundRunner } from './round-types.js';
import { createStrategy } from './strategies/create-strategy.js';
import type { StrategyConfig } from './strategies/strategy-config.js';
import { unmaskRound } from './unmask-round.js';

export interface JobDeps {
  readonly store: FlStore;
  readonly devices: DeviceRegistry;
  readonly blobs: BlobStore;
  readonly evalSets: EvalSets;
  readonly registry: ModelRegistry;
  readonly rollouts: RolloutService;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  publish(topic: string, payload: Uint8Array): Promise<void>;
  /** Called with each round while it runs, so ingest can route updates to it. */
  onRound(runner: RoundRunner | null): void;
}

const FL_CHUNK_BYTES = 64 * 1024;

export async function runJob(jobId: string, deps: JobDeps, signal: { cancelled: boolean }): Promise<void> {
  const { store, clock } = deps;
  const log = deps.logger.child({ jobId });
  const job = () => store.job(jobId);
  const config = (await job()).config as unknown as JobConfig;
  const parameterCount = mlpParameterCount(config.spec);
  const evalSet = await deps.evalSets.get(config.evalSet);
  const setJobState = async (to: JobState, fields: Partial<JobRow> = {}) => {
    const state = transitionJob((await job()).state as JobState, to);
    await store.updateJob(jobId, { ...fields, state });
    deps.bus.emit({ type: 'fl.job', at: clock.now(), jobId, state, ...(fields.error ? { error: fields.error } : {}) });
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimer(ms, resolve));

  while (!signal.cancelled && (await job()).roundsDone < config.rounds) {
    const current = await job();
    if (current.failedRounds >= config.maxFailedRounds) {
      return setJobState('failed', { error: `${current.failedRounds} rounds in a row failed` });
    }
    const outcome =
      (await continueOpenRound(current, config, parameterCount, deps, log)) ??
      (await runOneRound(current, config, parameterCount, deps, log));
    if (signal.cancelled) return;
    if (outcome === null) {
      await store.updateJob(jobId, { failedRounds: (await job()).failedRounds + 1 });
      await sleep(config.retryDelayMs);
      continue;
    }
    await applyRound(current, config, outcome, evalSet, deps);
  }
  if (signal.cancelled) return;
  await finishJob(jobId, config, evalSet, deps);
  await setJobState('completed');
  log.info('federated job completed');
}

async function runOneRound(job: JobRow, config: JobConfig, parameterCount: number, deps: JobDeps, log: Logger) {
  const { store, clock } = deps;
  const round = job.roundsDone + 1;
  const attempt = (await store.rounds(job.id)).filter((r) => r.round === round).length + 1;
  const roundId = `${job.id}-r${round}-a${attempt}`;
  const candidates: string[] = [];
  for (const d of await deps.devices.members()) {
    if (d.connection !== 'online') continue;
    if (matchesSelector(config.selector, d, hardwareProfileOf(d, await deps.devices.reported(d.id))))
      candidates.push(d.id);
  }
  const wanted = Math.min(
    candidates.length,
    Math.max(config.minClients, Math.ceil(config.fraction * candidates.length)),
  );
  // Seeded, so a job's client selection is reproducible (sorted first: the registry's order is not the seed's).
  const selected = shuffled([...candidates].sort(), mulberry32(config.seed * 100_003 + round * 101 + attempt)).slice(
    0,
    wanted,
  );
  const now = clock.now();
  const task = await taskOf(job, config, { roundId, round, deadline: now + config.deadlineMs }, deps);
  await store.insertRound(
    {
      id: roundId,
      jobId: job.id,
      round,
      attempt,
      state: 'offering',
      startedAt: now,
      deadline: task.deadline,
      inputDigest: job.globalDigest,
    },
    selected,
  );
  if (selected.length < config.minClients) {
    const error = `only ${candidates.length} matching devices online, minClients is ${config.minClients}`;
    await store.updateRound(roundId, { state: 'failed', error });
    log.warn({ round, attempt }, error);
    deps.bus.emit({ type: 'fl.round', at: clock.now(), jobId: job.id, roundId, round, state: 'failed', error });
    return null;
  }
  const runner = startRound({ ...roundSettings(config, parameterCount, deps), task, selected });
  return awaitRound(runner, job, deps, log);
}

/** What a round attempt takes from the job, new or continued after a restart. */
function roundSettings(config: JobConfig, parameterCount: number, deps: JobDeps) {
  return {
    quorum: config.quorum ?? config.minClients,
    acceptWindowMs: config.acceptWindowMs,
    revealWindowMs: config.revealWindowMs,
    parameterCount,
    deps: { store: deps.store, clock: deps.clock, logger: deps.logger, publish: deps.publish },
  };
}

/** The task a round offers: the job's current global weights and its training settings. */
async function taskOf(
  job: JobRow,
  config: JobConfig,
  at: { roundId: string; round: number; deadline: number },
  deps: JobDeps,
): Promise<FlTask> {
  const weightsBytes = await deps.blobs.get(job.globalDigest);
  if (weightsBytes === null) throw new Error(`global weights ${job.globalDigest} missing from the blob store`);
  const chunked = chunkBundle(weightsBytes, FL_CHUNK_BYTES);
  return {
    jobId: job.id,
    roundId: at.roundId,
    round: at.round,
    line: config.line,
    spec: config.spec,
    weights: {
      digest: chunked.digest,
      sizeBytes: chunked.sizeBytes,
      chunkBytes: chunked.chunkBytes,
      chunks: [...chunked.chunks],
    },
    epochs: config.epochs,
    batchSize: config.batchSize,
    lr: config.lr,
    mu: config.strategy.name === 'fedprox' ? (config.strategy.mu ?? 0.01) : 0,
    minSamples: config.minSamples,
    deadline: at.deadline,
    secureAggregation: config.secureAggregation ? { scaleBits: config.scaleBits, clipAbs: config.secAggClipAbs } : null,
    dp: config.dp === undefined ? null : { clipNorm: config.dp.clipNorm, noiseMultiplier: config.dp.noiseMultiplier },
    seed: config.seed * 1_000 + at.round,
  };
}

/**
 * Continues the job's open round after a control-plane restart: the same task (same weights, deadline and
 * seed), the clients' answers, public keys and submitted updates as stored. Null when there is none.
 */
async function continueOpenRound(job: JobRow, config: JobConfig, parameterCount: number, deps: JobDeps, log: Logger) {
  const open = (await deps.store.openRounds(job.id)).find(
    (r) => r.round === job.roundsDone + 1 && (r.state === 'offering' || r.state === 'training'),
  );
  if (open === undefined) return null;
  const rows = await deps.store.clients(open.id);
  const task = await taskOf(job, config, { roundId: open.id, round: open.round, deadline: open.deadline }, deps);
  const runner = startRound({
    ...roundSettings(config, parameterCount, deps),
    task,
    selected: rows.map((r) => r.deviceId),
    restored: {
      state: open.state as 'offering' | 'training',
      startedAt: open.startedAt,
      peersSent: open.peersSentAt !== null,
      clients: restoreClients(rows, task.secureAggregation !== null),
    },
  });
  return awaitRound(runner, job, deps, log);
}

async function awaitRound(runner: RoundRunner, job: JobRow, deps: JobDeps, log: Logger) {
  const { clock } = deps;
  const { id: roundId, task } = runner;
  const { round } = task;
  deps.onRound(runner);
  const outcome = await runner.outcome;
  deps.onRound(null);
  if (outcome.state === 'failed') {
    log.warn({ round, roundId, error: outcome.error }, 'federated round failed');
    deps.bus.emit({
      type: 'fl.round',
      at: clock.now(),
      jobId: job.id,
      roundId,
      round,
      state: 'failed',
      error: outcome.error,
    });
    return null;
  }
  return { roundId, round, outcome };
}

async function applyRound(
  job: JobRow,
  config: JobConfig,
  result: { roundId: string; round: number; outcome: RoundOutcome },
  evalSet: Awaited<ReturnType<EvalSets['get']>>,
  deps: JobDeps,
): Promise<void> {
  const { store, clock } = deps;
  const { outcome, roundId, round } = result;
  const globalBytes = (await deps.blobs.get(job.globalDigest)) as Uint8Array;
  const global = float32FromBytes(globalBytes);
  // zod's output marks absent options `undefined`; resolveStrategyConfig drops those before applying defaults.
  const strategy = createStrategy(
    config.strategy as StrategyConfig,
    job.strategyState === null ? null : new Uint8Array(job.strategyState),
  );
  const samples = outcome.updates.reduce((sum, u) => sum + u.sampleCount, 0);
  // Secure aggregation reveals only the weighted-mean delta; the strategy applies its server rule to it.
  const next = config.secureAggregation
    ? strategy.applyMeanDelta(global, unmaskRound(outcome, config.scaleBits, global.length))
    : strategy.aggregate(
        global,
        outcome.updates.map((u) => ({
          deviceId: u.deviceId,
          sampleCount: u.sampleCount,
          delta: u.values as Float32Array,
        })),
      );
  const evaluation = await evaluateMlp(config.spec, next, evalSet);
  const dp =
    config.dp === undefined
      ? null
      : dpEpsilon({ noiseMultiplier: config.dp.noiseMultiplier, rounds: round, delta: config.dp.delta });
  const digest = await deps.blobs.put(float32ToBytes(next));
  const metrics = {
    ...outcome.counts,
    participants: outcome.updates.length,
    samples,
    accuracy: evaluation.accuracy,
    loss: evaluation.loss,
    ...(dp === null ? {} : { epsilon: dp.epsilon, delta: dp.delta }),
  };
  await store.updateRound(roundId, { state: 'completed', resultDigest: digest, metrics });
  const better = job.bestAccuracy === null || evaluation.accuracy > job.bestAccuracy;
  const state = strategy.state();
  await store.updateJob(job.id, {
    roundsDone: round,
    failedRounds: 0,
    globalDigest: digest,
    strategyState: state === null ? null : Buffer.from(state),
    ...(better ? { bestDigest: digest, bestAccuracy: evaluation.accuracy, bestRound: round } : {}),
  });
  deps.logger.info(
    { jobId: job.id, round, accuracy: evaluation.accuracy, participants: metrics.participants },
    'federated round done',
  );
  deps.bus.emit({ type: 'fl.round', at: clock.now(), jobId: job.id, roundId, round, state: 'completed', metrics });
}
