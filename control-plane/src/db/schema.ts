/**
 * The control plane's SQLite schema (drizzle). One table per thing the control plane must remember across
 * restarts: devices and their credentials, enrolment and API tokens (hashes only), model versions with their
 * signed manifests, the signed desired document per device, the latest reported state, rollouts with their
 * per-device status, de-duplicated events, telemetry and drift windows, fleet drift alerts, and the
 * append-only audit log.
 * Migrations are generated from this file with drizzle-kit into ../../drizzle and committed.
 */
import type { DriftAlarm, DriftSketch } from '@edgefleet/protocol';
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const devices = sqliteTable('devices', {
  id: text('id').primaryKey(),
  group: text('group').notNull(),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
  passwordHash: text('password_hash').notNull(),
  hardware: text('hardware', { mode: 'json' }).$type<Record<string, unknown> | null>(),
  connection: text('connection', { enum: ['online', 'offline'] })
    .notNull()
    .default('offline'),
  enrolledAt: integer('enrolled_at').notNull(),
  lastSeenAt: integer('last_seen_at'),
});

export const enrolmentTokens = sqliteTable('enrolment_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  group: text('group').notNull(),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  usedBy: text('used_by'),
});

export const apiTokens = sqliteTable('api_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  name: text('name').notNull().unique(),
  role: text('role', { enum: ['admin', 'operator', 'viewer'] }).notNull(),
  createdAt: integer('created_at').notNull(),
});

export const modelVersions = sqliteTable(
  'model_versions',
  {
    line: text('line').notNull(),
    version: integer('version').notNull(),
    digest: text('digest').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    chunkCount: integer('chunk_count').notNull(),
    /** encodeCbor(SignedDocument) of the manifest, exactly as signed. */
    signedManifest: blob('signed_manifest', { mode: 'buffer' }).notNull(),
    description: text('description'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.line, t.version] }), index('model_versions_digest').on(t.digest)],
);

export const deviceDesired = sqliteTable('device_desired', {
  deviceId: text('device_id')
    .primaryKey()
    .references(() => devices.id),
  seq: integer('seq').notNull(),
  rolloutId: text('rollout_id'),
  assignments: text('assignments', { mode: 'json' })
    .$type<{ line: string; version: number; shadow?: number }[]>()
    .notNull(),
  /** encodeCbor(SignedDocument) of the desired body, exactly as published. */
  signedDoc: blob('signed_doc', { mode: 'buffer' }).notNull(),
  issuedAt: integer('issued_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

export const deviceReported = sqliteTable('device_reported', {
  deviceId: text('device_id')
    .primaryKey()
    .references(() => devices.id),
  reported: text('reported', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const rollouts = sqliteTable('rollouts', {
  id: text('id').primaryKey(),
  line: text('line').notNull(),
  version: integer('version').notNull(),
  /** The plan's selector group ('' when the selector has none). */
  group: text('group').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  /** The validated plan (rollouts/plan.ts RolloutPlan). */
  plan: text('plan', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
  /** Rollout state machine (rollouts/rollout-state.ts); legacy rows read as finished. */
  state: text('state').notNull().default('completed'),
  /** The phase a paused rollout returns to on resume. */
  pausedFrom: text('paused_from'),
  currentWave: integer('current_wave').notNull().default(0),
  /** Majority champion version of the targeted devices at creation (null: none ran the line). */
  championVersion: integer('champion_version'),
  /** Why and to what the rollout was rolled back, or why it stopped. */
  outcome: text('outcome', { mode: 'json' }).$type<Record<string, unknown> | null>(),
  updatedAt: integer('updated_at').notNull().default(0),
});

export const rolloutWaves = sqliteTable(
  'rollout_waves',
  {
    rolloutId: text('rollout_id')
      .notNull()
      .references(() => rollouts.id),
    index: integer('index').notNull(),
    mode: text('mode', { enum: ['live', 'shadow'] }).notNull(),
    state: text('state').notNull(),
    startedAt: integer('started_at'),
    observeFrom: integer('observe_from'),
    endedAt: integer('ended_at'),
    gates: text('gates', { mode: 'json' }).$type<Record<string, unknown>[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.rolloutId, t.index] })],
);

export const rolloutDevices = sqliteTable(
  'rollout_devices',
  {
    rolloutId: text('rollout_id')
      .notNull()
      .references(() => rollouts.id),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    status: text('status', { enum: ['pending', 'installing', 'installed', 'failed', 'offline'] }).notNull(),
    error: text('error'),
    updatedAt: integer('updated_at').notNull(),
    wave: integer('wave').notNull().default(0),
    /** Position in sha256(rolloutId + deviceId) order (rollouts/membership.ts). */
    rank: integer('rank').notNull().default(0),
    /** When the device's desired document first targeted the rollout's version (null: not yet). */
    assignedAt: integer('assigned_at'),
    /** The version of the line the device was assigned when the rollout was created. */
    championVersion: integer('champion_version'),
  },
  (t) => [
    primaryKey({ columns: [t.rolloutId, t.deviceId] }),
    index('rollout_devices_device').on(t.deviceId),
    index('rollout_devices_wave_status').on(t.rolloutId, t.wave, t.status),
    index('rollout_devices_wave_queue').on(t.rolloutId, t.wave, t.assignedAt, t.rank),
  ],
);

export const shadowWindows = sqliteTable(
  'shadow_windows',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    line: text('line').notNull(),
    championVersion: integer('champion_version').notNull(),
    challengerVersion: integer('challenger_version').notNull(),
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    rows: integer('rows').notNull(),
    agreements: integer('agreements').notNull(),
    challengerErrors: integer('challenger_errors').notNull(),
    latencyMs: text('latency_ms', { mode: 'json' })
      .$type<{ champion: Record<string, number>; challenger: Record<string, number> }>()
      .notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('shadow_windows_device_seq').on(t.deviceId, t.seq),
    index('shadow_windows_model_start').on(t.line, t.challengerVersion, t.windowStartMs),
  ],
);

export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
    kind: text('kind').notNull(),
    line: text('line'),
    version: integer('version'),
    error: text('error', { mode: 'json' }).$type<{ code: string; message: string } | null>(),
    /** A `drift-alarm` event's detector reading (protocol DriftAlarm). */
    drift: text('drift', { mode: 'json' }).$type<DriftAlarm | null>(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [uniqueIndex('events_device_seq').on(t.deviceId, t.seq)],
);

export const telemetryWindows = sqliteTable(
  'telemetry_windows',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    line: text('line').notNull(),
    version: integer('version').notNull(),
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    count: integer('count').notNull(),
    errors: integer('errors').notNull(),
    latencyMs: text('latency_ms', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('telemetry_device_seq').on(t.deviceId, t.seq),
    index('telemetry_model_start').on(t.line, t.version, t.windowStartMs),
  ],
);

export const driftWindows = sqliteTable(
  'drift_windows',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    line: text('line').notNull(),
    version: integer('version').notNull(),
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    count: integer('count').notNull(),
    /** The validated sketch body (protocol DriftSketch), without the record's seq/kind. */
    sketch: text('sketch', { mode: 'json' }).$type<DriftSketch>().notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('drift_windows_device_seq').on(t.deviceId, t.seq),
    index('drift_windows_model_start').on(t.line, t.version, t.windowStartMs),
  ],
);

export const driftAlerts = sqliteTable(
  'drift_alerts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    cohort: text('cohort').notNull(),
    line: text('line').notNull(),
    version: integer('version').notNull(),
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    /** The evaluated window (rows, devices, per-feature PSI/JS/KS, output drift) when the alert fired. */
    numbers: text('numbers', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('drift_alerts_cohort_window').on(t.cohort, t.line, t.version, t.windowStartMs)],
);

export const auditLog = sqliteTable('audit_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  ts: integer('ts').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  status: integer('status').notNull(),
  details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});
