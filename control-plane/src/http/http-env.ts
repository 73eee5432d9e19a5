/**
 * The Hono environment shared by every route: per-request variables set by the auth and audit middleware,
 * and the services the routes call. Routes receive services through `createXRoutes(services)` factories,
 * never through globals, so each test can build an app over its own temp database.
 */
import type { AuditLog } from '../audit/audit-log.js';
import type { Actor, ApiTokens } from '../auth/api-tokens.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceHistory } from '../devices/device-history.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { Enrolment } from '../devices/enrolment.js';
import type { Revocation } from '../devices/revocation.js';
import type { FleetDrift } from '../drift/fleet-drift.js';
import type { EventBus } from '../events/event-bus.js';
import type { FlCoordinator } from '../fl/coordinator.js';
import type { EvalSets } from '../fl/eval-sets.js';
import type { KeyRotation } from '../keys/key-rotation.js';
import type { TrustStore } from '../keys/trust-store.js';
import type { Prometheus } from '../observability/prometheus.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { RolloutService } from '../rollouts/rollout-service.js';

export interface HttpEnv {
  Variables: {
    /** The authenticated API token, null until (or unless) auth succeeds. */
    actor: Actor | null;
    /** Audit overrides set by a route: actor name for unauthenticated calls, target and details. */
    auditActor: string | null;
    auditTarget: string | null;
    auditDetails: Record<string, unknown>;
  };
}

export interface HttpServices {
  readonly apiTokens: ApiTokens;
  readonly audit: AuditLog;
  /** Rollout transitions, gate decisions and drift alerts (GET /v1/events). */
  readonly events: EventBus;
  readonly enrolment: Enrolment;
  readonly devices: DeviceRegistry;
  readonly revocation: Revocation;
  readonly history: DeviceHistory;
  readonly registry: ModelRegistry;
  readonly desired: DesiredState;
  readonly rollouts: RolloutService;
  readonly drift: FleetDrift;
  readonly fl: FlCoordinator;
  readonly evalSets: EvalSets;
  /** The Prometheus registry behind GET /metrics and the HTTP request counter. */
  readonly prometheus: Prometheus;
  /** Root documents and current keys (enrolment hands out the chain; GET /v1/trust shows it). */
  readonly trust: TrustStore;
  readonly keyRotation: KeyRotation;
  readonly maxBundleBytes: number;
  readonly enrolmentTokenTtlSec: number;
  /** The control plane's clock (GET /v1/health reports it for devices' clock-skew checks). */
  now(): number;
  /** This replica's scheduler state (GET /v1/health): follower, leader or stopped. */
  schedulerState?(): string;
  /** The MQTT URL handed to devices at enrolment. */
  mqttUrl(): string;
  /** Hands a newly enrolled device's credentials to the broker (external broker: a dynamic-security client). */
  registerBrokerCredentials(deviceId: string, password: string): Promise<void>;
}
