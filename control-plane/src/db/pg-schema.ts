/**
 * The control plane's PostgreSQL schema: the same tables, columns, keys and indexes as the SQLite schema
 * (schema.ts and its table modules), column for column — test/db/schema-parity.test.ts fails when the two
 * differ. SQLite integers become bigints (number mode: millisecond timestamps overflow int4), JSON text
 * jsonb, blobs bytea, reals double precision, autoincrement ids bigserial. Migrations are generated from this
 * file into ../../drizzle-pg (drizzle-pg.config.ts) and applied at startup by pg-database.ts.
 */
export {
  deviceDesired,
  deviceReported,
  devices,
  driftAlerts,
  driftWindows,
  enrolmentTokens,
  events,
  shadowWindows,
  telemetryWindows,
} from './pg-device-tables.js';
export {
  apiTokens,
  auditLog,
  flEvalSets,
  flJobs,
  flRoundClients,
  flRounds,
  modelVersions,
  rolloutDevices,
  rollouts,
  rolloutWaves,
} from './pg-work-tables.js';
