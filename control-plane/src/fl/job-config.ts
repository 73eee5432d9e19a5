/**
 * A federated training job: which devices train (a selector, as in rollout plans), the model
 * (an MLP spec and where its first global weights come from), how many rounds, client selection (fraction C
 * of the online cohort, at least `minClients`), the quorum of submitted updates a round needs before its
 * deadline, the local training hyper-parameters, the aggregation strategy, privacy (secure aggregation,
 * DP), the held-out evaluation set (by digest, uploaded separately), and what happens at the end (register
 * the best or final model as a new version, optionally hand it to a staged rollout). Defaults follow
 * McMahan et al. 2017 where the paper gives one (C = 0.1, B = 10, E = 1).
 */
import { dpSettingsSchema, mlpSpecSchema, modelLineSchema, sha256HexSchema } from '@edgefleet/protocol';
import { z } from 'zod';
import { selectorSchema } from '../rollouts/plan.js';
import { strategyConfigSchema } from './strategies/strategy-config.js';

export const JOB_DEFAULTS = Object.freeze({
  rounds: 10,
  fraction: 0.1,
  minClients: 2,
  deadlineMs: 5 * 60_000,
  acceptWindowMs: 10_000,
  revealWindowMs: 10_000,
  epochs: 1,
  batchSize: 10,
  lr: 0.05,
  minSamples: 10,
  scaleBits: 16,
  secAggClipAbs: 1,
  maxFailedRounds: 3,
  retryDelayMs: 30_000,
});

export const jobConfigSchema = z
  .strictObject({
    line: modelLineSchema,
    selector: selectorSchema,
    spec: mlpSpecSchema,
    /** First global weights: Glorot-uniform from a seed (computed here), or the final weights of an earlier job. */
    init: z.union([
      z.strictObject({ seed: z.int().nonnegative() }),
      z.strictObject({ fromJob: z.string().min(1).max(64) }),
    ]),
    rounds: z.int().min(1).max(10_000).default(JOB_DEFAULTS.rounds),
    fraction: z.number().gt(0).max(1).default(JOB_DEFAULTS.fraction),
    minClients: z.int().min(1).max(1024).default(JOB_DEFAULTS.minClients),
    /** Updates a round needs by its deadline; defaults to minClients. */
    quorum: z.int().min(1).max(1024).optional(),
    deadlineMs: z
      .int()
      .min(100)
      .max(7 * 24 * 3_600_000)
      .default(JOB_DEFAULTS.deadlineMs),
    acceptWindowMs: z.int().min(10).max(3_600_000).default(JOB_DEFAULTS.acceptWindowMs),
    revealWindowMs: z.int().min(10).max(3_600_000).default(JOB_DEFAULTS.revealWindowMs),
    epochs: z.int().min(1).max(100).default(JOB_DEFAULTS.epochs),
    /** 0 = all local data in one batch (FedSGD). */
    batchSize: z.int().min(0).max(65_536).default(JOB_DEFAULTS.batchSize),
    lr: z.number().positive().max(10).default(JOB_DEFAULTS.lr),
    minSamples: z.int().min(1).default(JOB_DEFAULTS.minSamples),
    strategy: strategyConfigSchema.default({ name: 'fedavg' }),
    secureAggregation: z.boolean().default(false),
    scaleBits: z.int().min(4).max(24).default(JOB_DEFAULTS.scaleBits),
    /** Masked deltas are clamped to ±secAggClipAbs per coordinate (fixed point needs a range). */
    secAggClipAbs: z.number().positive().max(1e6).default(JOB_DEFAULTS.secAggClipAbs),
    dp: dpSettingsSchema.extend({ delta: z.number().gt(0).lt(1) }).optional(),
    /** Digest of an evaluation set uploaded with POST /v1/fl/eval-sets. */
    evalSet: sha256HexSchema,
    register: z.enum(['best', 'final', 'none']).default('best'),
    /** A rollout plan body without line/version, started on the registered version. */
    rollout: z.record(z.string(), z.unknown()).optional(),
    seed: z.int().nonnegative().default(1),
    /** 'now' starts at once; 'drift' waits for a fleet drift alert on `line` (then runs once). */
    trigger: z.enum(['now', 'drift']).default('now'),
    maxFailedRounds: z.int().min(1).max(100).default(JOB_DEFAULTS.maxFailedRounds),
    retryDelayMs: z.int().min(0).max(3_600_000).default(JOB_DEFAULTS.retryDelayMs),
  })
  .refine((c) => !(c.secureAggregation && (c.strategy.name === 'median' || c.strategy.name === 'trimmed-mean')), {
    message: 'secure aggregation reveals only the sum of updates, so median / trimmed mean cannot run on it',
    path: ['strategy'],
  })
  .refine((c) => c.quorum === undefined || c.quorum <= c.minClients, {
    message: 'quorum cannot exceed minClients (a round offers at least minClients devices)',
    path: ['quorum'],
  });

export type JobConfigInput = z.input<typeof jobConfigSchema>;
export type JobConfig = z.output<typeof jobConfigSchema>;
