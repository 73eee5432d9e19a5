/**
 * What `createControlPlane` accepts and the defaults it fills in: one frozen DEFAULTS object (units in the
 * names), the options interface, and `resolveOptions`, which lets an explicitly undefined option fall back
 * to its default instead of overriding it (exactOptionalPropertyTypes).
 */
import { type Clock, MAX_BUNDLE_BYTES, type RoleName, type RootKeys } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { BrokerOption } from './broker/start-broker.js';
import type { DriftConfig } from './drift/thresholds.js';
import type { BlobStore } from './registry/blob-store.js';
import type { LeaderLock } from './scheduler/leader-lock.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  httpPort: 0,
  mqttPort: 0,
  desiredTtlMs: 7 * DAY_MS,
  refreshIntervalMs: 60 * 60 * 1000,
  rootTtlMs: 365 * DAY_MS,
  enrolmentTokenTtlSec: 24 * 60 * 60,
  maxBundleBytes: MAX_BUNDLE_BYTES,
  rolloutTickMs: 1_000,
  /** Child devices (MCUs) one gateway may carry (DESIGN.md §6). */
  maxChildrenPerGateway: 256,
  /** External broker: a device silent this long is marked offline (three missed one-minute heartbeats). */
  offlineAfterMs: 3 * 60 * 1000,
});

export interface ControlPlaneOptions {
  /** Directory for the SQLite file, keys, admin token and blobs; created when missing. */
  readonly dataDir: string;
  readonly host?: string;
  /** 0 = ephemeral. */
  readonly httpPort?: number;
  /** 0 = ephemeral. */
  readonly mqttPort?: number;
  readonly keys?: RootKeys;
  /**
   * k-of-n signature thresholds per role in the root document (default 1 each). With two targets keys and
   * threshold 2, one stolen targets key cannot sign a manifest an agent accepts (TUF §6.1).
   */
  readonly thresholds?: Partial<Record<RoleName, number>>;
  readonly adminToken?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly desiredTtlMs?: number;
  readonly refreshIntervalMs?: number;
  readonly enrolmentTokenTtlSec?: number;
  /** Largest accepted model upload (default protocol MAX_BUNDLE_BYTES). */
  readonly maxBundleBytes?: number;
  /** Bundle storage; default files under `${dataDir}/blobs`. */
  readonly blobStore?: BlobStore;
  /**
   * Fleet drift thresholds, cohort window, minimum rows, grace before a window is judged and judge interval
   * (defaults: drift/thresholds.ts DRIFT_DEFAULTS).
   */
  readonly drift?: Partial<DriftConfig>;
  /** Child devices one gateway may carry; one more is refused (CONFLICT). */
  readonly maxChildrenPerGateway?: number;
  /**
   * External broker only: a device from which nothing (no heartbeat, no message) arrived for this long is
   * marked offline; its last will marks it offline at once.
   */
  readonly offlineAfterMs?: number;
  /**
   * The MQTT broker: the embedded aedes broker on `host`:`mqttPort` (default), or an external Mosquitto with
   * the dynamic-security plugin that the control plane joins as a client (docs/scale-out.md).
   */
  readonly broker?: BrokerOption;
  /**
   * Orchestrator tick interval on the clock (default 1 000 ms); `newId` makes rollout ids (and so the wave
   * ranking they seed) reproducible, for the simulator (default random `ro-<12 hex>`).
   */
  readonly rollouts?: { readonly tickMs?: number; readonly newId?: () => string };
  /**
   * Scheduler leadership among replicas (scheduler/): the lock that elects the one leader (default: always
   * leader, one process) and how often a follower retries it (default 2 000 ms, real time).
   */
  readonly scheduler?: { readonly lock?: LeaderLock; readonly leaderRetryMs?: number };
  /**
   * Where the control plane keeps its state (db/open-database.ts): the SQLite file `${dataDir}/edgefleet.db`
   * (default) or a PostgreSQL server by URL — then the scheduler lock defaults to a PostgreSQL advisory lock on
   * the same server, so replicas sharing the database elect one leader. Keys and blobs stay in `dataDir`.
   */
  readonly database?: { readonly kind: 'sqlite' } | { readonly kind: 'postgres'; readonly url: string };
}

/** The options over DEFAULTS, undefined values dropped. */
export function resolveOptions(options: ControlPlaneOptions) {
  return { ...DEFAULTS, ...definedOnly(options) };
}

/** Drops undefined values so they do not override DEFAULTS (exactOptionalPropertyTypes). */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export function maybe<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
