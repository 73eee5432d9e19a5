/**
 * @edgefleet/control-plane — the fleet's control plane: HTTP API (Hono), embedded MQTT broker (aedes),
 * model registry, device enrolment, signed desired state and rollouts over SQLite (drizzle). This is the
 * package's only entry point.
 */
export {
  type AclDecision,
  authorizeDevicePublish,
  authorizeDeviceSubscribe,
  type DeviceGrants,
  deviceGrants,
} from './broker/acl.js';
export { BROKER_LIMIT_DEFAULTS, type BrokerLimits, type BrokerLimitsOption } from './broker/broker-limits.js';
export { EXTERNAL_DEFAULTS, type ExternalBrokerOptions } from './broker/external-broker.js';
export { mosquittoBoundsConfig } from './broker/mosquitto-bounds.js';
export type { BrokerOption } from './broker/start-broker.js';
export { type ControlPlane, type ControlPlaneOptions, createControlPlane, DEFAULTS } from './control-plane.js';
export type { CohortDriftResult, CohortWindowDrift } from './drift/cohort-drift.js';
export { compareToProfile, type FeatureDrift, mergeAndCompare, type WindowDrift } from './drift/compare-profile.js';
export type { DriftAlert, DriftAlertListener, DriftApi } from './drift/fleet-drift.js';
export { binnedKs, jsDistance, type KsResult, kolmogorovSurvival, psi } from './drift/stats.js';
export {
  DRIFT_DEFAULTS,
  type DriftConfig,
  type DriftLevel,
  resolveDriftConfig,
} from './drift/thresholds.js';
export { ControlPlaneError } from './errors.js';
export type { EventBus, FleetEvent, FleetEventListener, FleetEventType } from './events/event-bus.js';
export type { FlCoordinator, JobView } from './fl/coordinator.js';
export { encodeEvalSet, type StoredEvalSet } from './fl/eval-sets.js';
export type { EvalSet } from './fl/evaluator.js';
export { JOB_DEFAULTS, type JobConfig, type JobConfigInput } from './fl/job-config.js';
export { exportMlpOnnx } from './fl/mlp-onnx.js';
export type { AggregationStrategy } from './fl/strategies/aggregation-strategy.js';
export { type ClientUpdate, validateUpdate } from './fl/strategies/client-update.js';
export { createStrategy } from './fl/strategies/create-strategy.js';
export {
  type ResolvedStrategyConfig,
  resolveStrategyConfig,
  STRATEGY_DEFAULTS,
  STRATEGY_NAMES,
  type StrategyConfig,
  type StrategyName,
  strategyConfigSchema,
} from './fl/strategies/strategy-config.js';
export { weightedMeanDelta } from './fl/strategies/weighted-mean.js';
export { releaseSigning } from './keys/release-signing.js';
export type { MetricsSnapshot } from './metrics.js';
export { type BlobStore, createFileBlobStore, createMemoryBlobStore } from './registry/blob-store.js';
export type { DeviceRolloutStatus } from './rollouts/device-status.js';
export type { GateResult } from './rollouts/gates.js';
export { type GateName, type Gates, PLAN_DEFAULTS, type RolloutPlan, type Selector } from './rollouts/plan.js';
export { isActive, isRolloutState, ROLLOUT_STATES, type RolloutState } from './rollouts/rollout-state.js';
export type { RolloutView } from './rollouts/rollout-view.js';
export {
  LEADER_RETRY_MS,
  type LeaderDuties,
  type LeaderElection,
  type SchedulerState,
  startLeaderElection,
} from './scheduler/leader-election.js';
export { alwaysLeaderLock, type LeaderLock } from './scheduler/leader-lock.js';
export { createPgAdvisoryLock, SCHEDULER_LOCK_KEY } from './scheduler/pg-advisory-lock.js';
