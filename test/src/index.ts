/**
 * @edgefleet/test — the private end-to-end package: a harness that starts real fleets (control plane +
 * agents over TCP MQTT) through the packages' public entry points, shared by the e2e tests, the demo and
 * the benchmarks, and the in-process federated loop of the FL experiments. It re-exports the leaf helpers
 * of `@edgefleet/test-kit`; models come from `@edgefleet/test-kit/models`, data sets from
 * `@edgefleet/test/datasets`.
 */
export * from '@edgefleet/test-kit';
export { type ApiClient, type ApiResponse, apiClient, expectStatus } from './api-client.js';
export { type ControlPlaneProcess, startControlPlaneProcess } from './control-plane-process.js';
export {
  assembleDeviceArtifact,
  type DeviceArtifact,
  type InstalledDevice,
  installDevice,
  startService,
} from './device-service.js';
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
export { connectAs, type DeviceCredentials, enrolRawDevice, publishOnce, subscribeCode } from './raw-device.js';
export { rawIrisProbabilities } from './raw-iris.js';
export { publishTelemetry, telemetryMessage } from './telemetry-load.js';
