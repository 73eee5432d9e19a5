/**
 * @edgefleet/test — the private end-to-end package: a harness that starts real fleets (control plane +
 * agents over TCP MQTT) through the packages' public entry points, shared by the e2e tests, the demo and
 * the benchmarks, and the in-process federated loop of the FL experiments. Model fixtures are exported separately
 * from `@edgefleet/test/models`, data sets from `@edgefleet/test/datasets`.
 */
export { freePort } from './agent-process.js';
export { type ApiClient, type ApiResponse, apiClient, expectStatus } from './api-client.js';
export { type ControlPlaneProcess, startControlPlaneProcess } from './control-plane-process.js';
export { buildService, type ServiceBuild, type ServiceProcess, startService } from './device-service.js';
export {
  type Aggregate,
  type ClientUpdate,
  coordinateMedianAggregate,
  strategyAggregate,
  trimmedMeanAggregate,
  weightedMeanAggregate,
} from './fl/aggregates.js';
export {
  type Attack,
  type FederatedRunOptions,
  type FederatedRunResult,
  noiseAttack,
  type RoundPoint,
  roundsToAccuracy,
  runFederated,
  scaledAttack,
} from './fl/federated-run.js';
export {
  enrolmentToken,
  type Fleet,
  type FleetOptions,
  type RegisteredModel,
  type RegisterModelOptions,
  registerModel,
  rolloutAndWait,
  startFleet,
  waitForRolloutEnd,
} from './fleet.js';
export { irisStream } from './iris-stream.js';
export { type Mosquitto, startMosquitto } from './mosquitto.js';
export { connectPacket, type FloodResult, flood, packetHeader, remainingLength } from './mqtt-flood.js';
export { POSTGRES_BIN_DIR, type PostgresServer, postgresAvailable, startPostgres } from './postgres.js';
export { connectAs, type DeviceCredentials, enrolRawDevice, publishOnce, subscribeCode } from './raw-device.js';
export { type BinaryRun, runBinary } from './run-binary.js';
export { publishTelemetry, telemetryMessage } from './telemetry-load.js';
export { type WaitOptions, waitFor } from './wait-for.js';
