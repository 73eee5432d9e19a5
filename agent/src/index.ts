/**
 * @edgefleet/agent — the device process. The curated entry point: `createAgent` and its types, the config
 * loader the CLI uses, the Transport seam the simulator plugs in-memory streams into, and the Runtime
 * seam (the interface plus the default ONNX runtime, so a hardware-specific runtime can wrap or replace it
 * via `createAgent({ runtime })`), and for running it as a device service: the bundler and the release
 * artifact builder (build time), the release store, the unit writer, and the SystemStats seam. Everything else is internal.
 */
export { AGENT_VERSION, type Agent, type AgentEvents, type AgentStats, createAgent } from './agent.js';
export {
  type AgentOptions,
  type BackoffOptions,
  type ChildOptions,
  DEFAULTS,
  type FetchOptions,
  type ShadowOptions,
  type TelemetryOptions,
} from './config.js';
export { type ConfigFile, configFileSchema, loadConfigFile, parseConfig } from './config-file.js';
export { type Backoff, createBackoff } from './connection/backoff.js';
export type { ConnectionState } from './connection/state.js';
export { type Transport, tcpTransport } from './connection/transport.js';
export type { ChildUplink, Uplink, UplinkEvents } from './connection/uplink.js';
export { runDoctor } from './doctor/doctor.js';
export {
  ADWIN_DEFAULTS,
  type Adwin,
  type AdwinOptions,
  createAdwin,
} from './drift/adwin.js';
export {
  createPageHinkley,
  PAGE_HINKLEY_DEFAULTS,
  type PageHinkley,
  type PageHinkleyMode,
  type PageHinkleyOptions,
} from './drift/page-hinkley.js';
export { AgentError } from './errors.js';
export {
  createMlpTrainer,
  DEFAULTS as MLP_TRAINER_DEFAULTS,
  type MlpTrainer,
  type MlpTrainerOptions,
  type MlpTrainerStats,
  type TrainResult,
} from './fl/mlp-trainer.js';
export type { TrainingBackend } from './fl/tfjs-engine.js';
export { type EvaluateOptions, type Labels, TRAIN_LIMITS, type TrainOptions } from './fl/train-inputs.js';
export type { Inference, InferOptions, Prediction, TensorPrediction } from './inference/inference-service.js';
export { createStateStreams, STREAM_DEFAULTS, type StateStreams } from './inference/state-streams.js';
export { readModelFile } from './runtime/model-file.js';
export { createOnnxRuntime, type OnnxRuntimeOptions } from './runtime/onnx-runtime.js';
export {
  float32Tensor,
  type LoadedModel,
  type LoadOptions,
  type Runtime,
  type TensorData,
  tensorData,
} from './runtime/runtime.js';
export {
  BASE_RELEASE,
  createReleaseStore,
  type ReleaseOutcome,
  type ReleaseRef,
  type ReleaseState,
  type ReleaseStore,
} from './self-update/release-store.js';
export { RESTART_EXIT_CODE, SERVICE_ENV } from './self-update/self-update.js';
export { buildBundle } from './service/agent-build.js';
export {
  type Artifact,
  type ArtifactOptions,
  type AssembledArtifact,
  assembleArtifact,
  buildArtifact,
  packArtifact,
  START_STEP,
  signArtifact,
} from './service/release-artifact.js';
export { INSTALL_DEFAULTS, installedUnit, UNIT_NAME } from './service/systemd-unit.js';
export type { ShadowStats } from './shadow/shadow-runner.js';
export { createSystemStats, type SystemStats } from './system/system-stats.js';
export type { RootOfTrust } from './trust/root-of-trust.js';
