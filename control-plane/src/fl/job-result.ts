/**
 * The end of a federated job, `finishJob`: the best (highest held-out accuracy) or final global weights are
 * exported to ONNX and registered as the line's next version — so the registry runs, self-tests and signs
 * them like any upload — with the training lineage in the signed manifest (job, strategy, every round's
 * participants, samples and accuracy, DP guarantee). With a rollout plan in the job, a staged rollout of
 * the new version starts at once.
 */
import { float32FromBytes, type MlpSpec, type TrainingLineage } from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { RolloutPlan } from '../rollouts/plan.js';
import { planSchema } from '../rollouts/plan.js';
import type { RolloutService } from '../rollouts/rollout-service.js';
import type { EvalSet } from './evaluator.js';
import type { JobConfig } from './job-config.js';
import type { JobDeps } from './job-runner.js';
import { exportMlpOnnx } from './mlp-onnx.js';

/** Self-test vectors come from the first rows of the held-out set; a handful proves the export. */
const SELF_TEST_ROWS = 8;
/** The drift reference profile holds at most 256 features (protocol's profile schema). */
const MAX_PROFILE_FEATURES = 256;
const MAX_PROFILE_ROWS = 5000;

export async function registerTrainedModel(options: {
  registry: ModelRegistry;
  line: string;
  spec: MlpSpec;
  weights: Float32Array;
  evalSet: EvalSet;
  lineage: TrainingLineage;
}): Promise<number> {
  const { evalSet } = options;
  const rows = (count: number) =>
    Array.from({ length: Math.min(count, evalSet.y.length) }, (_, r) =>
      Array.from(evalSet.x.subarray(r * evalSet.features, (r + 1) * evalSet.features)),
    );
  const registered = await options.registry.register({
    line: options.line,
    version: undefined,
    bytes: exportMlpOnnx(options.spec, options.weights),
    metadata: {
      samples: { kind: 'rows', rows: rows(SELF_TEST_ROWS) },
      atol: 1e-4,
      quantization: 'none',
      runtime: 'onnx',
      chunkBytes: 64 * 1024,
      ttlDays: 365,
      source: `federated job ${options.lineage.jobId}`,
      training: options.lineage,
    },
    reference: evalSet.features <= MAX_PROFILE_FEATURES ? { rows: rows(MAX_PROFILE_ROWS) } : undefined,
    description: `federated ${options.lineage.strategy}, round ${options.lineage.round}, accuracy ${options.lineage.accuracy.toFixed(4)}`,
  });
  return registered.version;
}

export async function startTrainedRollout(options: {
  rollouts: RolloutService;
  plan: Record<string, unknown>;
  line: string;
  version: number;
  createdBy: string;
}): Promise<string> {
  const parsed = planSchema.safeParse({ ...options.plan, line: options.line, version: options.version });
  if (!parsed.success) {
    throw new ControlPlaneError(
      'BODY_INVALID',
      `the job's rollout plan is invalid: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  }
  const plan: RolloutPlan = parsed.data;
  const view = await options.rollouts.create({ plan, createdBy: options.createdBy });
  return view.id;
}

/** Registers the job's best or final weights (and starts its rollout) once its rounds are done. */
export async function finishJob(
  jobId: string,
  config: JobConfig,
  evalSet: EvalSet,
  deps: Pick<JobDeps, 'store' | 'blobs' | 'registry' | 'rollouts'>,
): Promise<void> {
  const { store } = deps;
  const job = await store.job(jobId);
  if (config.register === 'none') return;
  const useBest = config.register === 'best' && job.bestDigest !== null;
  const digest = useBest ? (job.bestDigest as string) : job.globalDigest;
  const round = useBest ? (job.bestRound as number) : job.roundsDone;
  const weights = float32FromBytes((await deps.blobs.get(digest)) as Uint8Array);
  const completed = (await store.rounds(jobId)).filter((r) => r.state === 'completed');
  const roundMetrics = (r: (typeof completed)[number]) =>
    r.metrics as { participants?: number; samples?: number; accuracy?: number; epsilon?: number };
  const last = completed.at(-1);
  const version = await registerTrainedModel({
    registry: deps.registry,
    line: config.line,
    spec: config.spec,
    weights,
    evalSet,
    lineage: {
      kind: 'federated',
      jobId,
      strategy: config.strategy.name,
      round,
      rounds: completed.map((r) => ({
        roundId: r.id,
        participants: roundMetrics(r).participants ?? 0,
        samples: roundMetrics(r).samples ?? 0,
        accuracy: roundMetrics(r).accuracy ?? 0,
      })),
      accuracy: useBest ? (job.bestAccuracy as number) : last === undefined ? 0 : (roundMetrics(last).accuracy ?? 0),
      secureAggregation: config.secureAggregation,
      dp:
        config.dp === undefined || last === undefined
          ? null
          : { epsilon: roundMetrics(last).epsilon ?? Number.POSITIVE_INFINITY, delta: config.dp.delta },
    },
  });
  await store.updateJob(jobId, { registeredVersion: version });
  if (config.rollout !== undefined) {
    const rolloutId = await startTrainedRollout({
      rollouts: deps.rollouts,
      plan: config.rollout,
      line: config.line,
      version,
      createdBy: `fl:${jobId}`,
    });
    await store.updateJob(jobId, { rolloutId });
  }
}
