/**
 * Federated-learning tables (drizzle, part of schema.ts): training jobs with their current global weights
 * (a blob digest) and server-optimizer state, one row per round attempt with its state and metrics, and
 * per-device round membership. Updates themselves stay in memory for the length of a round: a control-plane
 * restart fails the open round as interrupted and the job resumes with a fresh one (coordinator.ts).
 */
import { blob, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const flJobs = sqliteTable('fl_jobs', {
  id: text('id').primaryKey(),
  line: text('line').notNull(),
  /** The validated JobConfig (fl/job-config.ts). */
  config: text('config', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  /** 'running' | 'completed' | 'failed' | 'cancelled' (fl/job-state.ts). */
  state: text('state').notNull(),
  roundsDone: integer('rounds_done').notNull().default(0),
  failedRounds: integer('failed_rounds').notNull().default(0),
  globalDigest: text('global_digest').notNull(),
  bestDigest: text('best_digest'),
  bestAccuracy: real('best_accuracy'),
  bestRound: integer('best_round'),
  strategyState: blob('strategy_state', { mode: 'buffer' }),
  registeredVersion: integer('registered_version'),
  rolloutId: text('rollout_id'),
  error: text('error'),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const flRounds = sqliteTable(
  'fl_rounds',
  {
    id: text('id').primaryKey(),
    jobId: text('job_id')
      .notNull()
      .references(() => flJobs.id),
    round: integer('round').notNull(),
    attempt: integer('attempt').notNull(),
    /** fl/round-state.ts RoundState. */
    state: text('state').notNull(),
    startedAt: integer('started_at').notNull(),
    deadline: integer('deadline').notNull(),
    inputDigest: text('input_digest').notNull(),
    resultDigest: text('result_digest'),
    /** Secure aggregation: when the peer set went out (a restarted round must not send it again). */
    peersSentAt: integer('peers_sent_at'),
    metrics: text('metrics', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    error: text('error'),
  },
  (t) => [index('fl_rounds_job').on(t.jobId, t.round)],
);

export const flRoundClients = sqliteTable(
  'fl_round_clients',
  {
    roundId: text('round_id')
      .notNull()
      .references(() => flRounds.id),
    deviceId: text('device_id').notNull(),
    /** 'offered' | 'accepted' | 'declined' | 'submitted' | 'dropped' | 'rejected'. */
    status: text('status').notNull(),
    sampleCount: integer('sample_count'),
    detail: text('detail'),
    /** Secure aggregation: the client's public key from its accept. */
    publicKey: blob('public_key', { mode: 'buffer' }),
    /** The submitted update (f32 delta or masked u32 words) while its round is open; cleared when it ends. */
    updateBytes: blob('update_bytes', { mode: 'buffer' }),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.deviceId] })],
);

export const flEvalSets = sqliteTable('fl_eval_sets', {
  digest: text('digest').primaryKey(),
  rows: integer('rows').notNull(),
  features: integer('features').notNull(),
  createdAt: integer('created_at').notNull(),
});
