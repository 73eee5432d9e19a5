/**
 * The FL coordinator (DESIGN.md §5): creates federated jobs (validated config, first global weights in the
 * blob store), runs each job's round loop (job-runner.ts), routes `fl/update` messages to the running round
 * and tells the fetch handler which weights blobs a device may download. Jobs with `trigger: 'drift'` wait
 * until the fleet drift detector raises an alert on their line. On start it resumes every running job: a
 * round that was still collecting when the control plane stopped goes on with the answers, public keys
 * and updates it had stored; one that was revealing seeds or aggregating is failed as interrupted and the
 * job goes on with a fresh attempt of that round.
 */
import { randomBytes } from 'node:crypto';
import {
  type BlobRef,
  type FlUpdateMessage,
  float32FromBytes,
  float32ToBytes,
  initialMlpWeights,
  mlpParameterCount,
} from '@edgefleet/protocol';
import type { DriftAlert } from '../drift/fleet-drift.js';
import { ControlPlaneError } from '../errors.js';
import { assertEvalSet } from './evaluator.js';
import { type JobState, transitionJob } from './fl-state.js';
import type { JobRow, RoundRow } from './fl-store.js';
import { type JobConfig, type JobConfigInput, jobConfigSchema } from './job-config.js';
import { type JobDeps, runJob } from './job-runner.js';
import type { RoundRunner } from './round-types.js';

export interface JobView {
  readonly id: string;
  readonly line: string;
  readonly state: JobState;
  readonly config: JobConfig;
  readonly roundsDone: number;
  readonly bestAccuracy: number | null;
  readonly bestRound: number | null;
  readonly registeredVersion: number | null;
  readonly rolloutId: string | null;
  readonly error: string | null;
  readonly createdAt: number;
  readonly rounds: RoundRow[];
}

export interface FlCoordinator {
  createJob(input: unknown, createdBy: string): Promise<JobView>;
  get(jobId: string): Promise<JobView>;
  list(): Promise<Omit<JobView, 'rounds'>[]>;
  cancel(jobId: string): Promise<JobView>;
  /** The job's current (or best) global weights, little-endian float32 in the MlpSpec layout. */
  weights(jobId: string, which: 'current' | 'best'): Promise<Uint8Array>;
  /**
   * Ingest: a decoded `fl/update` message from `deviceId`. Throws a ControlPlaneError on refusal; resolves
   * once the round has stored what the message changed.
   */
  handleUpdate(deviceId: string, message: FlUpdateMessage): Promise<void>;
  /** Fetch handler: the weights blob `digest` if `deviceId` was offered it in the running round. */
  servesBlob(deviceId: string, digest: string): BlobRef | null;
  /** Resolves when a job is no longer running (tests, scripts). */
  settled(jobId: string): Promise<JobView>;
  resume(): Promise<void>;
  onDriftAlert(alert: DriftAlert): Promise<void>;
  close(): void;
}

export function createFlCoordinator(deps: Omit<JobDeps, 'onRound'>): FlCoordinator {
  const { store, clock, logger } = deps;
  const rounds = new Map<string, RoundRunner>();
  const running = new Map<string, { signal: { cancelled: boolean }; done: Promise<void> }>();

  const summary = (row: JobRow): Omit<JobView, 'rounds'> => ({
    id: row.id,
    line: row.line,
    state: row.state as JobState,
    config: row.config as unknown as JobConfig,
    roundsDone: row.roundsDone,
    bestAccuracy: row.bestAccuracy,
    bestRound: row.bestRound,
    registeredVersion: row.registeredVersion,
    rolloutId: row.rolloutId,
    error: row.error,
    createdAt: row.createdAt,
  });
  const view = async (row: JobRow): Promise<JobView> => ({ ...summary(row), rounds: await store.rounds(row.id) });
  const viewOf = async (jobId: string) => view(await store.job(jobId));

  function start(jobId: string): void {
    if (running.has(jobId)) return;
    const signal = { cancelled: false };
    const jobDeps: JobDeps = { ...deps, onRound: (r) => (r === null ? rounds.delete(jobId) : rounds.set(jobId, r)) };
    const done = runJob(jobId, jobDeps, signal)
      .catch(async (error: unknown) => {
        logger.error({ err: error, jobId }, 'federated job crashed');
        const state = (await store.job(jobId)).state as JobState;
        if (state === 'running')
          await store.updateJob(jobId, { state: transitionJob(state, 'failed'), error: String(error) });
      })
      .catch((error: unknown) => logger.error({ err: error, jobId }, 'could not record the crashed job'))
      .finally(() => running.delete(jobId));
    running.set(jobId, { signal, done });
  }

  function roundFor(deviceId: string, roundId: string): RoundRunner {
    for (const runner of rounds.values()) if (runner.id === roundId) return runner;
    throw new ControlPlaneError('FL_ROUND_CLOSED', `round ${roundId} is not running`, {
      details: { roundId, deviceId },
    });
  }

  return {
    async createJob(input, createdBy) {
      const parsed = jobConfigSchema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ControlPlaneError(
          'BODY_INVALID',
          `request body is invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
          {
            details: {
              issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })),
            },
          },
        );
      }
      const config = parsed.data;
      assertEvalSet(await deps.evalSets.get(config.evalSet), config.spec);
      const weights = await initialWeights(config);
      const id = `fl-${randomBytes(5).toString('hex')}`;
      const now = clock.now();
      await store.insertJob({
        id,
        line: config.line,
        config: config as unknown as Record<string, unknown>,
        state: config.trigger === 'drift' ? 'waiting' : 'running',
        globalDigest: await deps.blobs.put(float32ToBytes(weights)),
        createdBy,
        createdAt: now,
        updatedAt: now,
      });
      logger.info({ jobId: id, line: config.line, trigger: config.trigger }, 'federated job created');
      if (config.trigger === 'now') start(id);
      return viewOf(id);
    },
    get: viewOf,
    list: async () => (await store.jobs()).map(summary),
    async cancel(jobId) {
      const row = await store.job(jobId);
      const state = transitionJob(row.state as JobState, 'cancelled');
      const run = running.get(jobId);
      if (run !== undefined) run.signal.cancelled = true;
      rounds.get(jobId)?.cancel('job cancelled');
      await store.updateJob(jobId, { state });
      deps.bus.emit({ type: 'fl.job', at: clock.now(), jobId, state });
      return viewOf(jobId);
    },
    async weights(jobId, which) {
      const row = await store.job(jobId);
      const digest = which === 'best' ? (row.bestDigest ?? row.globalDigest) : row.globalDigest;
      const bytes = await deps.blobs.get(digest);
      if (bytes === null) throw new ControlPlaneError('NOT_FOUND', `weights of job ${jobId} are missing`);
      return bytes;
    },
    handleUpdate(deviceId, message) {
      return roundFor(deviceId, message.roundId).handle(deviceId, message);
    },
    servesBlob(deviceId, digest) {
      for (const runner of rounds.values()) {
        const blob = runner.servesBlob(deviceId, digest);
        if (blob !== null) return blob;
      }
      return null;
    },
    async settled(jobId) {
      await running.get(jobId)?.done;
      return viewOf(jobId);
    },
    async resume() {
      for (const row of await store.jobsIn('running')) {
        // A round still collecting goes on with the answers and updates it stored (job-runner.ts); one that
        // was revealing seeds or aggregating is tried again.
        for (const open of await store.openRounds(row.id)) {
          if (open.round === row.roundsDone + 1 && (open.state === 'offering' || open.state === 'training')) continue;
          await store.updateRound(open.id, { state: 'failed', error: 'interrupted by a control-plane restart' });
        }
        logger.info({ jobId: row.id, roundsDone: row.roundsDone }, 'resuming federated job');
        start(row.id);
      }
    },
    async onDriftAlert(alert) {
      for (const row of await store.jobsIn('waiting')) {
        if (row.line !== alert.line) continue;
        await store.updateJob(row.id, { state: transitionJob('waiting', 'running') });
        logger.info({ jobId: row.id, line: alert.line, cohort: alert.cohort }, 'drift alert starts federated job');
        deps.bus.emit({
          type: 'fl.job',
          at: clock.now(),
          jobId: row.id,
          state: 'running',
          trigger: 'drift',
          cohort: alert.cohort,
        });
        start(row.id);
      }
    },
    close() {
      for (const run of running.values()) run.signal.cancelled = true;
      for (const runner of rounds.values()) runner.suspend();
    },
  };

  async function initialWeights(config: JobConfig): Promise<Float32Array> {
    if ('seed' in config.init) return initialMlpWeights(config.spec, config.init.seed);
    const source = await store.job(config.init.fromJob);
    const weights = float32FromBytes((await deps.blobs.get(source.bestDigest ?? source.globalDigest)) as Uint8Array);
    if (weights.length !== mlpParameterCount(config.spec)) {
      throw new ControlPlaneError('BODY_INVALID', `job ${config.init.fromJob} trained a different model spec`);
    }
    return weights;
  }
}

export type { JobConfigInput };
