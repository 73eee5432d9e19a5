/**
 * The control plane's SQLite schema (drizzle). One table per thing the control plane must remember across
 * restarts: devices and their credentials, enrolment and API tokens (hashes only), model versions with their
 * signed manifests, the signed desired document per device, the latest reported state, rollouts with their
 * per-device status, de-duplicated events, telemetry and drift windows, fleet drift alerts, and the
 * append-only audit log.
 * Migrations are generated from this file with drizzle-kit into ../../drizzle and committed; the tables
 * live in one module per concern, re-exported here by name so drizzle-kit and the stores see one schema.
 */
export { driftAlerts, driftWindows, events, shadowWindows, telemetryWindows } from './device-record-tables.js';
export { deviceDesired, deviceReported, devices, enrolmentTokens } from './device-tables.js';
export { flEvalSets, flJobs, flRoundClients, flRounds } from './fl-tables.js';
export { apiTokens, auditLog } from './operator-tables.js';
export { modelVersions, rolloutDevices, rollouts, rolloutWaves } from './rollout-tables.js';
