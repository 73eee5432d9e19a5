/**
 * The fleet scenario (`edgefleet-sim run scenario.yaml`): the fleet as cohorts of devices, each with a
 * hardware profile, a network profile and a data generator (with drift injected at given times); faults;
 * the champion and candidate models; the rollout plan to rehearse (the body of `POST /v1/rollouts`, in
 * virtual minutes); traffic, telemetry windows and how long the run lasts in virtual time. Profiles are
 * named and referenced by name; cross-references are checked with the field path in the message.
 */
import { z } from 'zod';

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

const driftSchema = z.strictObject({
  atMin: z.number().min(0),
  /** Added to each feature (cm) from `atMin` on; one entry per iris feature. */
  shift: z.array(z.number()).length(4),
  /** Multiplies each feature's spread around its class mean. */
  scale: z.number().positive().default(1),
});

const cohortSchema = z.strictObject({
  name,
  devices: z.int().min(1).max(100_000),
  hardware: name,
  network: name,
  data: z
    .strictObject({ dataset: z.literal('iris').default('iris'), drift: driftSchema.optional() })
    .default({ dataset: 'iris' }),
});

const modelSchema = z.strictObject({
  /** Seed of the weight initialisation and shuffle of the softmax classifier trained on iris. */
  seed: z.int().nonnegative(),
  /** Added to the output logits: an accurate-looking model whose predictions lean to one class. */
  outputBias: z.array(z.number()).length(3).optional(),
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
      .strictObject({ everyMin: z.number().positive().default(5), rows: z.int().min(1).max(1000).default(20) })
      .default({ everyMin: 5, rows: 20 }),
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
    const percents = scenario.rollout.waves.map((w) => w.percent);
    if (percents.at(-1) !== 100) {
      ctx.addIssue({ code: 'custom', path: ['rollout', 'waves'], message: 'the last wave must be 100 %' });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type Cohort = Scenario['fleet']['cohorts'][number];
export type HardwareProfile = z.output<typeof hardwareProfileSchema>;
export type NetworkProfile = z.output<typeof networkProfileSchema>;
