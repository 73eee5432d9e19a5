/**
 * @edgefleet/control-plane — the fleet's control plane: HTTP API (Hono), embedded MQTT broker (aedes),
 * model registry, device enrolment, signed desired state and rollouts over SQLite (drizzle). This is the
 * package's only entry point.
 */
export { type AclDecision, authorizeDevicePublish, authorizeDeviceSubscribe } from './broker/acl.js';
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
export type { MetricsSnapshot } from './metrics.js';
export { type BlobStore, createFileBlobStore, createMemoryBlobStore } from './registry/blob-store.js';
export type { DeviceRolloutStatus, RolloutState } from './rollouts/device-status.js';
