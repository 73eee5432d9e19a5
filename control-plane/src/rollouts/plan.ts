/**
 * The rollout plan (DESIGN.md §5): which devices (a selector), in which waves (cumulative
 * percentages or explicit selectors), how fast (concurrency budget, install timeout), how long each wave is
 * watched (observation window), which health gates it must pass and which output the prediction-shift and
 * shadow gates compare, and how (`compare`: argmax agreement for classifiers, a tolerance for regression
 * and embedding outputs; the model's first output by argmax when absent). This is the HTTP body of
 * `POST /v1/rollouts`; the legacy body `{ line, version, group }` becomes a plan with one 100 % wave, no
 * gates and no observation window, so it behaves exactly as the single-wave rollouts before it.
 */
import { modelLineSchema, type OutputComparison, tensorNameSchema, versionSchema } from '@edgefleet/protocol';
import { z } from 'zod';

const MINUTE_MS = 60_000;

export const PLAN_DEFAULTS = Object.freeze({
  concurrency: 50,
  installTimeoutMs: 10 * MINUTE_MS,
  observationMs: 10 * MINUTE_MS,
  onGateFailure: 'rollback' as const,
  autoAdvance: true,
  mode: 'live' as const,
});

const nameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 chars of [a-z0-9-]');

export const selectorSchema = z
  .strictObject({
    group: nameSchema.optional(),
    tags: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
    hardwareProfile: z.string().min(1).max(64).optional(),
  })
  .refine((s) => s.group !== undefined || s.tags !== undefined || s.hardwareProfile !== undefined, {
    message: 'a selector needs at least one of group, tags, hardwareProfile',
  });

export type Selector = z.infer<typeof selectorSchema>;

const modeSchema = z.enum(['live', 'shadow']);
const percentWave = z.strictObject({ percent: z.number().gt(0).max(100), mode: modeSchema.optional() });
const selectorWave = z.strictObject({ selector: selectorSchema, mode: modeSchema.optional() });

export const gatesSchema = z.strictObject({
  installFailureRate: z.number().min(0).max(1).optional(),
  selfTestFailures: z.int().min(0).optional(),
  errorRate: z.number().min(0).max(1).optional(),
  p95LatencyRatio: z.number().positive().optional(),
  predictionShiftPsi: z.number().nonnegative().optional(),
  shadowAgreement: z.number().min(0).max(1).optional(),
});

export type Gates = z.infer<typeof gatesSchema>;

/** The HTTP form of protocol's OutputComparison (strict: a misspelt field is refused, not dropped). */
export const compareSchema = z.union([
  z.strictObject({ output: tensorNameSchema.optional(), mode: z.literal('argmax') }),
  z.strictObject({
    output: tensorNameSchema.optional(),
    mode: z.literal('tolerance'),
    /** |challenger − champion| ≤ atol + rtol·|champion| for every element of a sample. */
    atol: z.number().nonnegative().max(1e6).default(0),
    rtol: z.number().nonnegative().max(1).default(0),
  }),
]) satisfies z.ZodType<OutputComparison>;
export type GateName = keyof Gates;

export const planSchema = z
  .strictObject({
    line: modelLineSchema,
    version: versionSchema,
    selector: selectorSchema,
    waves: z
      .array(z.union([percentWave, selectorWave]))
      .min(1)
      .max(32),
    concurrency: z.int().min(1).max(100_000).default(PLAN_DEFAULTS.concurrency),
    installTimeoutMs: z.int().min(0).default(PLAN_DEFAULTS.installTimeoutMs),
    observationMs: z.int().min(0).default(PLAN_DEFAULTS.observationMs),
    gates: gatesSchema.default({}),
    compare: compareSchema.optional(),
    onGateFailure: z.enum(['pause', 'rollback']).default(PLAN_DEFAULTS.onGateFailure),
    autoAdvance: z.boolean().default(PLAN_DEFAULTS.autoAdvance),
  })
  .superRefine((plan, ctx) => {
    const percents = plan.waves.map((w) => ('percent' in w ? w.percent : null));
    if (percents.every((p) => p === null)) return;
    if (percents.some((p) => p === null)) {
      ctx.addIssue({ code: 'custom', path: ['waves'], message: 'waves must be all percentages or all selectors' });
      return;
    }
    for (let i = 1; i < percents.length; i++) {
      if ((percents[i] as number) <= (percents[i - 1] as number)) {
        ctx.addIssue({ code: 'custom', path: ['waves', i, 'percent'], message: 'percentages must strictly increase' });
      }
    }
    if (percents.at(-1) !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['waves', percents.length - 1, 'percent'],
        message: 'the last wave must be 100',
      });
    }
  });

export type RolloutPlan = z.output<typeof planSchema>;
export type WavePlan = RolloutPlan['waves'][number];

/** The legacy body: one group, everything at once. */
export const legacyBodySchema = z.strictObject({
  line: modelLineSchema,
  version: versionSchema,
  group: nameSchema,
});

/** A body with a top-level `group` and no `selector` is the legacy single-wave form. */
export function isLegacyBody(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'group' in value && !('selector' in value);
}

/** A legacy body becomes one live 100 % wave with no gates and no observation window. */
export function planFromLegacy(body: z.output<typeof legacyBodySchema>): RolloutPlan {
  return planSchema.parse({
    line: body.line,
    version: body.version,
    selector: { group: body.group },
    waves: [{ percent: 100 }],
    observationMs: 0,
  });
}

export function waveModeOf(wave: WavePlan): 'live' | 'shadow' {
  return wave.mode ?? PLAN_DEFAULTS.mode;
}
