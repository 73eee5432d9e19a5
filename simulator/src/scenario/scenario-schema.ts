/**
 * The fleet scenario (`edgefleet-sim run scenario.yaml`): the fleet as cohorts of devices, each with a
 * hardware profile, a network profile and a data generator (with drift injected at given times; see
 * ./data-schema.ts); faults; the champion and candidate models (built-in iris classifiers or a model file,
 * ./model-schema.ts); the rollout plan to rehearse (the body of `POST /v1/rollouts`, in virtual minutes);
 * traffic, telemetry windows and how long the run lasts in virtual time. Profiles are named and referenced
 * by name; cross-references are checked with the field path in the message.
 */
import { z } from 'zod';
import { dataSchema } from './data-schema.js';
import { DEFAULT_FILE_LINE, IRIS_LINE, type ModelEntry, modelSchema } from './model-schema.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'must be 1-31 chars of [a-z0-9-]');
const fraction = z.number().min(0).max(1);

export const hardwareProfileSchema = z.strictObject({
  /** Multiplies inference and install work time on the virtual clock (1 = reference board). */
  cpuFactor: z.number().positive().max(100).default(1),
  memoryMb: z.int().min(16).max(1_048_576).default(2048),
  /** false: the device has no ONNX runtime, so every model load fails. */
  onnxRuntime: z.boolean().default(true),
});

const outageSchema = z.strictObject({ atMin: z.number().min(0), durationMin: z.number().positive() });

export const networkProfileSchema = z.strictObject({
  latencyMs: z.number().min(0).max(60_000).default(30),
  jitterMs: z.number().min(0).max(60_000).default(10),
  bandwidthKbps: z.number().min(0).default(0),
  loss: fraction.default(0),
  retransmitMs: z.number().min(0).default(1000),
  corruptChunks: fraction.default(0),
  outages: z.array(outageSchema).max(100).default([]),
  /** Repeated disconnects: down for downMin every periodMin, phase spread over the devices. */
  flapping: z.strictObject({ periodMin: z.number().positive(), downMin: z.number().positive() }).optional(),
});

const cohortSchema = z.strictObject({
  name,
  devices: z.int().min(1).max(100_000),
  hardware: name,
  network: name,
  data: dataSchema,
});

const gatesSchema = z.record(z.string(), z.number());

export const scenarioSchema = z
  .strictObject({
    name,
    seed: z.int().nonnegative().default(1),
    durationMin: z
      .number()
      .positive()
      .max(60 * 24 * 60),
    /** Report sampling interval (virtual). */
    sampleEveryMin: z.number().positive().default(5),
    hardwareProfiles: z.record(name, hardwareProfileSchema),
    networkProfiles: z.record(name, networkProfileSchema),
    fleet: z.strictObject({ cohorts: z.array(cohortSchema).min(1).max(64) }),
    faults: z
      .strictObject({
        installFailure: z.strictObject({ fraction, cohorts: z.array(name).optional() }).optional(),
        crashMidInstall: z.strictObject({ fraction, restartAfterMin: z.number().positive().default(2) }).optional(),
        clockSkew: z.strictObject({ fraction, maxMs: z.int().min(0).max(86_400_000) }).optional(),
      })
      .default({}),
    models: z.strictObject({ champion: modelSchema, candidate: modelSchema }),
    traffic: z
      .strictObject({
        everyMin: z.number().positive().default(5),
        /** Rows per call of the iris models. */
        rows: z.int().min(1).max(1000).default(20),
        /** Calls per device and tick; for the audio generator, consecutive frames of the device's stream. */
        calls: z.int().min(1).max(1000).default(1),
      })
      .default({ everyMin: 5, rows: 20, calls: 1 }),
    telemetry: z.strictObject({ windowMin: z.number().positive().default(10) }).default({ windowMin: 10 }),
    drift: z
      .strictObject({ windowMin: z.number().positive().default(30), minRows: z.int().min(1).default(200) })
      .default({ windowMin: 30, minRows: 200 }),
    rollout: z.strictObject({
      atMin: z.number().min(0).default(10),
      waves: z
        .array(z.strictObject({ percent: z.number().gt(0).max(100) }))
        .min(1)
        .max(32),
      concurrency: z.int().min(1).max(100_000).default(1000),
      installTimeoutMin: z.number().positive().default(30),
      observationMin: z.number().min(0).default(30),
      gates: gatesSchema.default({}),
      onGateFailure: z.enum(['pause', 'rollback']).default('rollback'),
    }),
    /** Where the report goes (default bench-results/sim-<name>.{json,html}). */
    out: z.string().min(1).optional(),
  })
  .superRefine((scenario, ctx) => {
    for (const [i, cohort] of scenario.fleet.cohorts.entries()) {
      if (!Object.hasOwn(scenario.hardwareProfiles, cohort.hardware)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'cohorts', i, 'hardware'],
          message: `unknown hardware profile "${cohort.hardware}" (known: ${Object.keys(scenario.hardwareProfiles).join(', ')})`,
        });
      }
      if (!Object.hasOwn(scenario.networkProfiles, cohort.network)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fleet', 'cohorts', i, 'network'],
          message: `unknown network profile "${cohort.network}" (known: ${Object.keys(scenario.networkProfiles).join(', ')})`,
        });
      }
    }
    const names = scenario.fleet.cohorts.map((c) => c.name);
    for (const [i, cohort] of (scenario.faults.installFailure?.cohorts ?? []).entries()) {
      if (!names.includes(cohort)) {
        ctx.addIssue({
          code: 'custom',
          path: ['faults', 'installFailure', 'cohorts', i],
          message: `unknown cohort "${cohort}"`,
        });
      }
    }
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', path: ['fleet', 'cohorts'], message: 'cohort names must be unique' });
    }
    checkModels(scenario, ctx);
    const percents = scenario.rollout.waves.map((w) => w.percent);
    if (percents.at(-1) !== 100) {
      ctx.addIssue({ code: 'custom', path: ['rollout', 'waves'], message: 'the last wave must be 100 %' });
    }
  });

type Models = { champion: ModelEntry; candidate: ModelEntry };

/** Both models of one kind on one line, and every cohort fed by a generator of that kind. */
function checkModels(
  scenario: { models: Models; fleet: { cohorts: { data: { generator: string } }[] } },
  ctx: z.RefinementCtx,
): void {
  const { champion, candidate } = scenario.models;
  if (champion.kind !== candidate.kind) {
    ctx.addIssue({
      code: 'custom',
      path: ['models', 'candidate'],
      message: `the champion is ${champion.kind === 'file' ? 'a model file' : 'an iris model'}: the candidate must be one too (one line, one input contract)`,
    });
    return;
  }
  if (champion.kind === 'file' && candidate.kind === 'file') {
    if (champion.line !== undefined && candidate.line !== undefined && champion.line !== candidate.line) {
      ctx.addIssue({
        code: 'custom',
        path: ['models', 'candidate', 'line'],
        message: `"${candidate.line}" differs from the champion's line "${champion.line}": a rollout replaces a model on its own line`,
      });
    }
  }
  for (const [i, cohort] of scenario.fleet.cohorts.entries()) {
    const { generator } = cohort.data;
    if (champion.kind === 'iris' && generator !== 'iris') {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'cohorts', i, 'data', 'generator'],
        message: `the built-in iris models take iris rows: "${generator}" feeds a model file (models.champion.file)`,
      });
    }
    if (champion.kind === 'file' && generator === 'iris') {
      ctx.addIssue({
        code: 'custom',
        path: ['fleet', 'cohorts', i, 'data', 'generator'],
        message: 'a model file is fed by the image, audio or tensor generator (iris feeds the built-in iris models)',
      });
    }
  }
}

/** The line both models are registered and rolled out on. */
export function modelLineOf(scenario: { models: Models }): string {
  const { champion, candidate } = scenario.models;
  if (champion.kind === 'iris') return IRIS_LINE;
  return champion.line ?? (candidate.kind === 'file' ? candidate.line : undefined) ?? DEFAULT_FILE_LINE;
}

export type Scenario = z.output<typeof scenarioSchema>;
export type Cohort = Scenario['fleet']['cohorts'][number];
export type HardwareProfile = z.output<typeof hardwareProfileSchema>;
export type NetworkProfile = z.output<typeof networkProfileSchema>;
