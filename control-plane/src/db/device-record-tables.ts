/**
 * What devices send, stored once per (device, seq) (drizzle, part of schema.ts): events, inference
 * (telemetry) windows, drift windows and shadow windows, plus the fleet drift alerts judged from the drift
 * windows. The three window tables share one column block (`deviceWindowColumns`).
 */
import type { DriftAlarm, DriftSketch } from '@edgefleet/protocol';
import { index, integer, type SQLiteColumnBuilderBase, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { devices } from './device-tables.js';

type Columns = Record<string, SQLiteColumnBuilderBase>;

/**
 * The column block every device window table shares (telemetry, drift and shadow windows), in this order
 * so the generated SQL stays that of the committed migrations: the (device, seq) the agent's outbox numbers
 * records by (stored once per pair, see the unique indexes), the model line, the table's version column(s),
 * the window's span, the table's own measures, and when the control plane received it.
 */
function deviceWindowColumns<V extends Columns, M extends Columns>(parts: { versions: V; measures: M }) {
  return {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    seq: integer('seq').notNull(),
    line: text('line').notNull(),
    ...parts.versions,
    windowStartMs: integer('window_start_ms').notNull(),
    windowEndMs: integer('window_end_ms').notNull(),
    ...parts.measures,
    receivedAt: integer('received_at').notNull(),
  };
}

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
  deviceWindowColumns({
    versions: { version: integer('version').notNull() },
    measures: {
      count: integer('count').notNull(),
      errors: integer('errors').notNull(),
      latencyMs: text('latency_ms', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    },
  }),
  (t) => [
    uniqueIndex('telemetry_device_seq').on(t.deviceId, t.seq),
    index('telemetry_model_start').on(t.line, t.version, t.windowStartMs),
  ],
);

export const driftWindows = sqliteTable(
  'drift_windows',
  deviceWindowColumns({
    versions: { version: integer('version').notNull() },
    measures: {
      count: integer('count').notNull(),
      /** The validated sketch body (protocol DriftSketch), without the record's seq/kind. */
      sketch: text('sketch', { mode: 'json' }).$type<DriftSketch>().notNull(),
    },
  }),
  (t) => [
    uniqueIndex('drift_windows_device_seq').on(t.deviceId, t.seq),
    index('drift_windows_model_start').on(t.line, t.version, t.windowStartMs),
  ],
);

export const shadowWindows = sqliteTable(
  'shadow_windows',
  deviceWindowColumns({
    versions: {
      championVersion: integer('champion_version').notNull(),
      challengerVersion: integer('challenger_version').notNull(),
    },
    measures: {
      rows: integer('rows').notNull(),
      agreements: integer('agreements').notNull(),
      challengerErrors: integer('challenger_errors').notNull(),
      latencyMs: text('latency_ms', { mode: 'json' })
        .$type<{ champion: Record<string, number>; challenger: Record<string, number> }>()
        .notNull(),
    },
  }),
  (t) => [
    uniqueIndex('shadow_windows_device_seq').on(t.deviceId, t.seq),
    index('shadow_windows_model_start').on(t.line, t.challengerVersion, t.windowStartMs),
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
