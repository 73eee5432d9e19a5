/**
 * The model and rollout tables (drizzle, part of schema.ts): registered model versions with their signed
 * manifests, rollouts with their plan and state, their waves, and the per-device membership and status.
 */
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { devices } from './device-tables.js';

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
