/**
 * Schemas of the MQTT messages (DESIGN.md §2) that travel on the device topics. Each message is a CBOR map
 * `{ v: 1, type, ts, ... }`; the `type` field lets a handler reject a message posted to the wrong topic.
 */
import { z } from 'zod';
import { driftSketchBodySchema } from '../drift/sketch.js';
import { signedDocumentSchema } from '../trust/signed-document.js';
import {
  bytesSchema,
  errorInfoSchema,
  messageBase,
  modelLineSchema,
  sha256HexSchema,
  timestampMsSchema,
  versionSchema,
} from './primitives.js';

/** Largest fetch window a device may ask for in one request. */
export const MAX_FETCH_WINDOW = 64;

export const desiredMessageSchema = z.object({
  ...messageBase,
  type: z.literal('desired'),
  doc: signedDocumentSchema,
  /**
   * Root documents after the first (v2, v3, …) when the keys have rotated: a device follows them before it
   * verifies `doc`, so one that was offline through several rotations catches up from this one message.
   */
  roots: z.array(signedDocumentSchema).max(256).optional(),
});

export const installPhaseSchema = z.enum(['fetching', 'verifying', 'installing', 'self-testing']);

export const reportedMessageSchema = z.object({
  ...messageBase,
  type: z.literal('reported'),
  agentVersion: z.string().max(64),
  desiredSeq: z.int().nonnegative().nullable(),
  installed: z
    .array(
      z.object({
        line: modelLineSchema,
        version: versionSchema,
        digest: sha256HexSchema,
        installedAt: timestampMsSchema,
      }),
    )
    .max(64),
  install: z
    .object({
      line: modelLineSchema,
      version: versionSchema,
      phase: installPhaseSchema,
      chunksDone: z.int().nonnegative(),
      chunksTotal: z.int().nonnegative(),
    })
    .nullable(),
  lastError: errorInfoSchema.nullable(),
  hardware: z.object({
    platform: z.string().max(32),
    arch: z.string().max(32),
    cpus: z.int().nonnegative(),
    memoryBytes: z.number().nonnegative(),
    /** Operator-assigned hardware profile (e.g. "pi4-2gb"), a rollout selector. */
    profile: z.string().max(64).optional(),
  }),
  runtimes: z.array(z.string().max(32)).max(8),
  /**
   * Telemetry records the device's bounded outbox dropped (oldest first) since it was created: the exact
   * loss of a long outage, made visible at the control plane. Absent from older agents.
   */
  telemetryDropped: z.int().nonnegative().optional(),
  /** Challengers running in shadow. */
  shadows: z
    .array(z.object({ line: modelLineSchema, version: versionSchema, digest: sha256HexSchema }))
    .max(16)
    .optional(),
});

export const fetchRequestSchema = z.object({
  ...messageBase,
  type: z.literal('fetch-req'),
  digest: sha256HexSchema,
  first: z.int().nonnegative(),
  count: z.int().min(1).max(MAX_FETCH_WINDOW),
});

export const fetchChunkSchema = z.object({
  ...messageBase,
  type: z.literal('fetch-chunk'),
  digest: sha256HexSchema,
  index: z.int().nonnegative(),
  bytes: bytesSchema,
});

export const fetchErrorSchema = z.object({
  ...messageBase,
  type: z.literal('fetch-error'),
  digest: sha256HexSchema,
  error: errorInfoSchema,
});

export const fetchResponseSchema = z.discriminatedUnion('type', [fetchChunkSchema, fetchErrorSchema]);

export const eventKindSchema = z.enum([
  'agent-started',
  'install-started',
  'install-verified',
  'install-completed',
  'install-failed',
  'install-reverted',
  'document-rejected',
  'drift-alarm',
]);

/** What a streaming change detector saw when it raised a drift alarm. */
export const driftAlarmSchema = z.object({
  detector: z.enum(['adwin', 'page-hinkley']),
  signal: z.enum(['confidence', 'error']),
  /** The detector's estimate of the signal's mean after the change. */
  estimate: z.number(),
  /** Samples the detector had seen when it fired. */
  samples: z.int().nonnegative(),
});

export const eventRecordSchema = z.object({
  /** Device-local, strictly increasing; the control plane de-duplicates on (device, seq). */
  seq: z.int().nonnegative(),
  at: timestampMsSchema,
  kind: eventKindSchema,
  line: modelLineSchema.optional(),
  version: versionSchema.optional(),
  error: errorInfoSchema.optional(),
  drift: driftAlarmSchema.optional(),
});

export const eventsMessageSchema = z.object({
  ...messageBase,
  type: z.literal('events'),
  records: z.array(eventRecordSchema).min(1).max(256),
});

export const latencySummarySchema = z.object({
  p50: z.number().nonnegative(),
  p95: z.number().nonnegative(),
  p99: z.number().nonnegative(),
  max: z.number().nonnegative(),
  mean: z.number().nonnegative(),
});

export const inferenceWindowSchema = z.object({
  seq: z.int().nonnegative(),
  kind: z.literal('inference'),
  line: modelLineSchema,
  version: versionSchema,
  windowStartMs: timestampMsSchema,
  windowEndMs: timestampMsSchema,
  count: z.int().nonnegative(),
  errors: z.int().nonnegative(),
  latencyMs: latencySummarySchema,
});

/** A drift sketch for one window (see drift/sketch.ts), as a telemetry record. */
export const driftWindowSchema = driftSketchBodySchema.extend({
  seq: z.int().nonnegative(),
  kind: z.literal('drift'),
});

/**
 * A shadow run's window: the challenger ran on the same inputs as the champion; `agreements`
 * counts rows (samples) whose answers on the compared output agreed — same argmax, or every element within
 * the tolerance (tensors/output-comparison.ts); latencies are per call, both models measured alike.
 */
export const shadowWindowSchema = z
  .object({
    seq: z.int().nonnegative(),
    kind: z.literal('shadow'),
    line: modelLineSchema,
    championVersion: versionSchema,
    challengerVersion: versionSchema,
    windowStartMs: timestampMsSchema,
    windowEndMs: timestampMsSchema,
    /** Rows both models answered. */
    rows: z.int().nonnegative(),
    agreements: z.int().nonnegative(),
    /** Challenger runs that threw. */
    challengerErrors: z.int().nonnegative(),
    latencyMs: z.object({ champion: latencySummarySchema, challenger: latencySummarySchema }),
  })
  .refine((w) => w.agreements <= w.rows, { message: 'more agreements than rows', path: ['agreements'] });

export const telemetryRecordSchema = z.discriminatedUnion('kind', [
  inferenceWindowSchema,
  driftWindowSchema,
  shadowWindowSchema,
]);

export const telemetryMessageSchema = z.object({
  ...messageBase,
  type: z.literal('telemetry'),
  records: z.array(telemetryRecordSchema).min(1).max(256),
});

/**
 * `status` (device → cp): `online` as a heartbeat, `offline` as the device's last will (sent by the broker
 * when the connection drops without a DISCONNECT) or before a clean disconnect. Brokers that do not tell
 * the control plane who is connected (an external Mosquitto) learn it from these.
 */
export const statusMessageSchema = z.object({
  ...messageBase,
  type: z.literal('status'),
  state: z.enum(['online', 'offline']),
});

export type StatusMessage = z.infer<typeof statusMessageSchema>;
export type DesiredMessage = z.infer<typeof desiredMessageSchema>;
export type ReportedMessage = z.infer<typeof reportedMessageSchema>;
export type InstallPhase = z.infer<typeof installPhaseSchema>;
export type FetchRequest = z.infer<typeof fetchRequestSchema>;
export type FetchChunk = z.infer<typeof fetchChunkSchema>;
export type FetchError = z.infer<typeof fetchErrorSchema>;
export type FetchResponse = z.infer<typeof fetchResponseSchema>;
export type EventKind = z.infer<typeof eventKindSchema>;
export type EventRecord = z.infer<typeof eventRecordSchema>;
export type EventsMessage = z.infer<typeof eventsMessageSchema>;
export type LatencySummary = z.infer<typeof latencySummarySchema>;
export type InferenceWindow = z.infer<typeof inferenceWindowSchema>;
export type DriftWindow = z.infer<typeof driftWindowSchema>;
export type TelemetryRecord = z.infer<typeof telemetryRecordSchema>;
export type ShadowWindow = z.infer<typeof shadowWindowSchema>;
export type DriftAlarm = z.infer<typeof driftAlarmSchema>;
export type TelemetryMessage = z.infer<typeof telemetryMessageSchema>;
