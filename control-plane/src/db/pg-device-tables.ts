/**
 * PostgreSQL twins of device-tables.ts and device-record-tables.ts (part of pg-schema.ts): devices, enrolment
 * tokens, desired and reported state, events, the three device window tables and the fleet drift alerts.
 */
import type { DriftAlarm, DriftSketch, OutputComparison } from '@edgefleet/protocol';
import { bigserial, index, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { bytes, integer } from './pg-columns.js';

export const devices = pgTable(
  'devices',
  {
    id: text('id').primaryKey(),
    group: text('group').notNull(),
    tags: jsonb('tags').$type<string[]>().notNull(),
    passwordHash: text('password_hash').notNull(),
    hardware: jsonb('hardware').$type<Record<string, unknown> | null>(),
    connection: text('connection', { enum: ['online', 'offline'] })
      .notNull()
      .default('offline'),
    enrolledAt: integer('enrolled_at').notNull(),
    lastSeenAt: integer('last_seen_at'),
    parentId: text('parent_id'),
    /** When the device's credentials were revoked (it is decommissioned); null while it is a fleet member. */
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('devices_parent').on(t.parentId)],
);

export const enrolmentTokens = pgTable('enrolment_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  group: text('group').notNull(),
  tags: jsonb('tags').$type<string[]>().notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  usedBy: text('used_by'),
  /** When an operator revoked the token before it was used. */
  revokedAt: integer('revoked_at'),
});

export const deviceDesired = pgTable('device_desired', {
  deviceId: text('device_id')
    .primaryKey()
    .references(() => devices.id),
  seq: integer('seq').notNull(),
  rolloutId: text('rollout_id'),
  assignments: jsonb('assignments')
    .$type<{ line: string; version: number; shadow?: number; compare?: OutputComparison }[]>()
    .notNull(),
  signedDoc: bytes('signed_doc').notNull(),
  issuedAt: integer('issued_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

export const deviceReported = pgTable('device_reported', {
  deviceId: text('device_id')
    .primaryKey()
    .references(() => devices.id),
  reported: jsonb('reported').$type<Record<string, unknown>>().notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** The shared device-window column block (device-record-tables.ts deviceWindowColumns), same order. */
function windowHead() {
  return {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    line: text('line').notNull(),
  };
}
function windowSpan() {
  return { windowStartMs: integer('window_start_ms').notNull(), windowEndMs: integer('window_end_ms').notNull() };
}

export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    at: integer('at').notNull(),
    kind: text('kind').notNull(),
    line: text('line'),
    version: integer('version'),
    error: jsonb('error').$type<{ code: string; message: string } | null>(),
    drift: jsonb('drift').$type<DriftAlarm | null>(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [uniqueIndex('events_device_seq').on(t.deviceId, t.seq)],
);

export const telemetryWindows = pgTable(
  'telemetry_windows',
  {
    ...windowHead(),
    version: integer('version').notNull(),
    ...windowSpan(),
    count: integer('count').notNull(),
    errors: integer('errors').notNull(),
    latencyMs: jsonb('latency_ms').$type<Record<string, number>>().notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('telemetry_device_seq').on(t.deviceId, t.seq),
    index('telemetry_model_start').on(t.line, t.version, t.windowStartMs),
  ],
);

export const driftWindows = pgTable(
  'drift_windows',
  {
    ...windowHead(),
    version: integer('version').notNull(),
    ...windowSpan(),
    count: integer('count').notNull(),
    sketch: jsonb('sketch').$type<DriftSketch>().notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('drift_windows_device_seq').on(t.deviceId, t.seq),
    index('drift_windows_model_start').on(t.line, t.version, t.windowStartMs),
  ],
);

export const shadowWindows = pgTable(
  'shadow_windows',
  {
    ...windowHead(),
    championVersion: integer('champion_version').notNull(),
    challengerVersion: integer('challenger_version').notNull(),
    ...windowSpan(),
    rows: integer('rows').notNull(),
    agreements: integer('agreements').notNull(),
    challengerErrors: integer('challenger_errors').notNull(),
    latencyMs: jsonb('latency_ms')
      .$type<{ champion: Record<string, number>; challenger: Record<string, number> }>()
      .notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('shadow_windows_device_seq').on(t.deviceId, t.seq),
    index('shadow_windows_model_start').on(t.line, t.challengerVersion, t.windowStartMs),
  ],
);

export const driftAlerts = pgTable(
  'drift_alerts',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    cohort: text('cohort').notNull(),
    line: text('line').notNull(),
    version: integer('version').notNull(),
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    numbers: jsonb('numbers').$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [uniqueIndex('drift_alerts_cohort_window').on(t.cohort, t.line, t.version, t.windowStartMs)],
);
