/**
 * PostgreSQL twins of rollout-tables.ts, fl-tables.ts and operator-tables.ts (part of pg-schema.ts): model
 * versions, rollouts with waves and per-device membership, federated jobs and rounds, API tokens, audit log.
 */
import { bigserial, doublePrecision, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { bytes, integer } from './pg-columns.js';
import { devices } from './pg-device-tables.js';

export const modelVersions = pgTable(
  'model_versions',
  {
    line: text('line').notNull(),
    version: integer('version').notNull(),
    digest: text('digest').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    chunkCount: integer('chunk_count').notNull(),
    signedManifest: bytes('signed_manifest').notNull(),
    description: text('description'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.line, t.version] }), index('model_versions_digest').on(t.digest)],
);

export const rollouts = pgTable('rollouts', {
  id: text('id').primaryKey(),
  line: text('line').notNull(),
  version: integer('version').notNull(),
  group: text('group').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  plan: jsonb('plan').$type<Record<string, unknown>>().notNull().default({}),
  state: text('state').notNull().default('completed'),
  pausedFrom: text('paused_from'),
  currentWave: integer('current_wave').notNull().default(0),
  championVersion: integer('champion_version'),
  outcome: jsonb('outcome').$type<Record<string, unknown> | null>(),
  updatedAt: integer('updated_at').notNull().default(0),
});

export const rolloutWaves = pgTable(
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
    gates: jsonb('gates').$type<Record<string, unknown>[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.rolloutId, t.index] })],
);

export const rolloutDevices = pgTable(
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
    rank: integer('rank').notNull().default(0),
    assignedAt: integer('assigned_at'),
    championVersion: integer('champion_version'),
  },
  (t) => [
    primaryKey({ columns: [t.rolloutId, t.deviceId] }),
    index('rollout_devices_device').on(t.deviceId),
    index('rollout_devices_wave_status').on(t.rolloutId, t.wave, t.status),
    index('rollout_devices_wave_queue').on(t.rolloutId, t.wave, t.assignedAt, t.rank),
  ],
);

export const flJobs = pgTable('fl_jobs', {
  id: text('id').primaryKey(),
  line: text('line').notNull(),
  config: jsonb('config').$type<Record<string, unknown>>().notNull(),
  state: text('state').notNull(),
  roundsDone: integer('rounds_done').notNull().default(0),
  failedRounds: integer('failed_rounds').notNull().default(0),
  globalDigest: text('global_digest').notNull(),
  bestDigest: text('best_digest'),
  bestAccuracy: doublePrecision('best_accuracy'),
  bestRound: integer('best_round'),
  strategyState: bytes('strategy_state'),
  registeredVersion: integer('registered_version'),
  rolloutId: text('rollout_id'),
  error: text('error'),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const flRounds = pgTable(
  'fl_rounds',
  {
    id: text('id').primaryKey(),
    jobId: text('job_id')
      .notNull()
      .references(() => flJobs.id),
    round: integer('round').notNull(),
    attempt: integer('attempt').notNull(),
    state: text('state').notNull(),
    startedAt: integer('started_at').notNull(),
    deadline: integer('deadline').notNull(),
    inputDigest: text('input_digest').notNull(),
    resultDigest: text('result_digest'),
    peersSentAt: integer('peers_sent_at'),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull().default({}),
    error: text('error'),
  },
  (t) => [index('fl_rounds_job').on(t.jobId, t.round)],
);

export const flRoundClients = pgTable(
  'fl_round_clients',
  {
    roundId: text('round_id')
      .notNull()
      .references(() => flRounds.id),
    deviceId: text('device_id').notNull(),
    status: text('status').notNull(),
    sampleCount: integer('sample_count'),
    detail: text('detail'),
    publicKey: bytes('public_key'),
    updateBytes: bytes('update_bytes'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.deviceId] })],
);

export const flEvalSets = pgTable('fl_eval_sets', {
  digest: text('digest').primaryKey(),
  rows: integer('rows').notNull(),
  features: integer('features').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const apiTokens = pgTable('api_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  name: text('name').notNull().unique(),
  role: text('role', { enum: ['admin', 'operator', 'viewer'] }).notNull(),
  createdAt: integer('created_at').notNull(),
});

export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  ts: integer('ts').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  status: integer('status').notNull(),
  details: jsonb('details').$type<Record<string, unknown>>().notNull(),
});
