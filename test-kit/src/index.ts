/**
 * @edgefleet/test-kit — the leaf test package every other package's tests may use: real models and data
 * (ONNX writers, trained MLPs, models from npm packages), synthetic federated updates, a throw-away
 * PostgreSQL, MQTT flood helpers, a runner for systemd units, polling and child-process helpers. It depends on the protocol only, so no
 * package's tests make a dependency cycle. Models are exported from `@edgefleet/test-kit/models`,
 * federated updates from `@edgefleet/test-kit/fl-updates`.
 */
export { freePort } from './free-port.js';
export { connectPacket, type FloodResult, flood, packetHeader, remainingLength } from './mqtt-flood.js';
export { POSTGRES_BIN_DIR, type PostgresServer, postgresAvailable, startPostgres } from './postgres.js';
export { type BinaryRun, runBinary } from './run-binary.js';
export { runUnit, serviceDirectives, splitWords, type UnitRun } from './systemd-runner.js';
export { tempDirs } from './temp-dirs.js';
export { type WaitOptions, waitFor } from './wait-for.js';
