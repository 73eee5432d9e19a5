/**
 * Agent configuration: the one frozen DEFAULTS object, the in-process options type, and how partial tuning
 * merges over the defaults. The JSON config file's schema lives in config-file.ts.
 */
import type { Clock, ReportedMessage } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { Transport } from './connection/transport.js';
import type { ChildUplink } from './connection/uplink.js';
import type { DeviceConditions, FlPolicy } from './fl/eligibility.js';
import type { ResourceOptions } from './install/resource-gate.js';
import type { Runtime } from './runtime/runtime.js';
import type { Durability } from './storage/atomic-file.js';
import type { SystemStats } from './system/system-stats.js';

export const DEFAULTS = Object.freeze({
  backoff: Object.freeze({ initialMs: 500, maxMs: 30_000 }),
  fetch: Object.freeze({ windowChunks: 8, chunkTimeoutMs: 5000, maxChunkRetries: 3, maxStalledWindows: 20 }),
  /**
   * maxQueueBytes bounds the outbox by the size of its records (SD cards fill up); 4 MiB holds
   * about a week of one model's idle-device windows. flushIntervalMs: how often a connected agent drains
   * the outbox besides the immediate drain after each new record.
   */
  telemetry: Object.freeze({
    windowMs: 60_000,
    batchSize: 100,
    flushIntervalMs: 5000,
    maxQueueRows: 10_000,
    maxQueueBytes: 4 * 1024 * 1024,
  }),
  /** Free disk / memory left for the rest of the device after an install; refused targets wait retryAfterMs. */
  resources: Object.freeze({
    diskReserveBytes: 64 * 1024 * 1024,
    memoryReserveBytes: 32 * 1024 * 1024,
    retryAfterMs: 10 * 60_000,
  }),
  /** On-device drift; detector defaults are River's (`river.drift.ADWIN`, `PageHinkley`). */
  drift: Object.freeze({
    windowMs: 60_000,
    /** Also close a window after this many rows; 0 = by time only. */
    windowRows: 0,
    signal: 'confidence' as DriftSignal,
    adwin: Object.freeze({ delta: 0.002 }),
    pageHinkley: Object.freeze({ delta: 0.005, lambda: 50, alpha: 1 - 0.0001, minInstances: 30 }),
  }),
  /** Shadow runs: aligned windows like drift's, and a bounded backlog per line. */
  shadow: Object.freeze({ windowMs: 60_000, maxQueuedPerLine: 8 }),
  /**
   * Supervision by systemd (the unit install-service writes): a release on trial must report online
   * within healthTimeoutMs; a confirmed one that stays up stableAfterMs has its start counter reset. The unit
   * takes the rest: WatchdogSec, the start step's maxTrialStarts and maxCrashStarts, RestartSec, and the
   * node options and environment of the agent process (V8 heap sizing for a small device).
   */
  supervision: Object.freeze({
    healthTimeoutMs: 120_000,
    stableAfterMs: 300_000,
    watchdogSec: 60,
    maxTrialStarts: 3,
    maxCrashStarts: 5,
    restartSec: 5,
    // --expose-gc lets the agent collect once after start-up (system/startup-heap.ts); a 1 MiB young
    // generation and one V8 worker thread keep an idle agent small (docs/benchmarks.md#agent-footprint).
    nodeArgs: Object.freeze(['--expose-gc', '--max-semi-space-size=1', '--v8-pool-size=1']) as readonly string[],
  }),
  /** Fetch progress is reported (retained) at most this often. */
  reportIntervalMs: 1000,
  keepaliveSec: 30,
  /** A `status: online` heartbeat this often (the control plane's silence timeout is three of them). */
  statusHeartbeatMs: 60_000,
  connectTimeoutMs: 10_000,
  cliHttpApi: Object.freeze({ host: '127.0.0.1', port: 8711 }),
  /** Federated training: eligibility policy, local sample bound, training backend. */
  fl: Object.freeze({
    enabled: true,
    minSamples: 10,
    idleMs: 0,
    requirePower: false,
    maxTemperatureC: 80,
    maxSamples: 10_000,
    backend: 'wasm' as 'wasm' | 'cpu',
  }),
});

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}
export interface FetchOptions {
  readonly windowChunks: number;
  readonly chunkTimeoutMs: number;
  readonly maxChunkRetries: number;
  /** Consecutive window timeouts without one new chunk (while online) before FETCH_TIMEOUT. */
  readonly maxStalledWindows: number;
}
export interface TelemetryOptions {
  readonly windowMs: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueueRows: number;
  readonly maxQueueBytes: number;
}

export interface ShadowOptions {
  readonly windowMs: number;
  /** Challenger runs queued or running per line; a champion call beyond it is not shadowed (counted). */
  readonly maxQueuedPerLine: number;
}

/** What the change detectors watch: the max class probability of each prediction, or fed-back errors. */
export type DriftSignal = 'confidence' | 'error';
export interface DriftOptions {
  readonly windowMs: number;
  readonly windowRows: number;
  readonly signal: DriftSignal;
  readonly adwin: { readonly delta: number };
  readonly pageHinkley: {
    readonly delta: number;
    readonly lambda: number;
    readonly alpha: number;
    readonly minInstances: number;
  };
}

/** See DEFAULTS.supervision: the agent reads the first two, the systemd unit the rest. */
export interface SupervisionTuning {
  readonly healthTimeoutMs: number;
  readonly stableAfterMs: number;
  readonly watchdogSec: number;
  readonly maxTrialStarts: number;
  readonly maxCrashStarts: number;
  readonly restartSec: number;
  readonly nodeArgs: readonly string[];
}

/** Optional tuning fields; `undefined` means "use the default" (what a parsed config file yields). */
export type Tuning<T> = { readonly [K in keyof T]?: T[K] | undefined };

export interface AgentOptions {
  readonly stateDir: string;
  /** Pinned root public keys, hex (32 bytes each). */
  readonly rootPublicKeys: readonly string[];
  readonly controlPlaneUrl?: string | undefined;
  readonly enrolmentToken?: string | undefined;
  /** Requested device id at enrolment (the control plane generates one otherwise). */
  readonly deviceId?: string | undefined;
  /** Overrides the broker URL handed out at enrolment. */
  readonly mqttUrl?: string | undefined;
  /** Overrides the TCP transport (the simulator passes in-memory duplex streams). */
  readonly transport?: Transport;
  /**
   * MQTT keepalive in seconds (default 30; 0 = none). MQTT.js pings on wall-clock timers, so the simulator,
   * whose network runs on virtual time, turns it off.
   */
  readonly keepaliveSec?: number | undefined;
  /**
   * How often the agent publishes a `status: online` heartbeat (default 60 000 ms; 0 = none). With an
   * external broker the control plane marks a device offline after three missed heartbeats.
   */
  readonly statusHeartbeatMs?: number | undefined;
  /** How long one MQTT connection attempt may take (default 10 000 ms, wall clock inside MQTT.js). */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * Where the telemetry outbox and the FL sample store live: 'file' (default, SQLite files in stateDir that
   * survive restarts) or 'memory' (the outbox in process memory, the sample store in-memory SQLite, both lost
   * on restart): the simulator's thousands of virtual devices need no file per queue.
   */
  readonly queueStorage?: 'file' | 'memory' | undefined;
  /**
   * 'fsync' (default): state files (slots, pointers, trust state, downloads) are flushed to the device before
   * they count; 'none': the state directory is in RAM (tmpfs) and the flushes are skipped — replacements stay
   * atomic (rename). The simulator's virtual devices run so; a real device never should.
   */
  readonly stateDurability?: Durability | undefined;
  /**
   * Local HTTP inference API; false (the default in-process) starts none. `maxBodyBytes` bounds one request
   * (default 1 MiB; raise it for large image or audio tensors).
   */
  readonly httpApi?:
    | {
        readonly host?: string | undefined;
        readonly port?: number | undefined;
        readonly maxBodyBytes?: number | undefined;
        /** Bearer token for every call but GET /v1/health; required when `host` is not loopback. */
        readonly token?: string | undefined;
        /** Host names callers may use besides loopback names and the bound address. */
        readonly allowedHosts?: readonly string[] | undefined;
      }
    | false;
  /**
   * Inference limits: elements of one input tensor, open state streams of stateful models and how long an
   * unused stream keeps its state.
   */
  readonly inference?:
    | {
        readonly maxElements?: number | undefined;
        readonly maxStreams?: number | undefined;
        readonly streamTtlMs?: number | undefined;
      }
    | undefined;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly backoff?: Tuning<BackoffOptions> | undefined;
  readonly fetch?: Tuning<FetchOptions> | undefined;
  readonly telemetry?: Tuning<TelemetryOptions> | undefined;
  readonly drift?: DriftTuning | undefined;
  readonly shadow?: Tuning<ShadowOptions> | undefined;
  readonly resources?: Tuning<ResourceOptions> | undefined;
  /** Free disk and memory as the device sees them (tests inject a starved device). */
  readonly systemStats?: SystemStats | undefined;
  readonly reportIntervalMs?: number | undefined;
  /** Supervision by systemd: the trial deadline and the stable period (see DEFAULTS.supervision). */
  readonly supervision?: Tuning<SupervisionTuning> | undefined;
  /** Under the systemd service (self-update possible); the CLI sets it from the unit's environment. */
  readonly supervised?: boolean | undefined;
  /** Operator-assigned hardware profile (e.g. "pi4-2gb", ≤ 64 chars), reported so rollouts can select by it. */
  readonly hardwareProfile?: string | undefined;
  /**
   * The model engine (default: onnxruntime-node on CPU). The seam for hardware-specific runtimes — an NPU or
   * GPU delegate whose numerics differ from the CPU's: every model it loads must still pass the manifest's
   * self-test vectors before it answers, so a delegate that computes differently fails the install
   * (`SELF_TEST_FAILED`) instead of serving wrong answers. Its `name` must match the manifests' `runtime`.
   */
  readonly runtime?: Runtime | undefined;
  readonly fl?: Tuning<FlOptions> | undefined;
  /** Battery / temperature readings for the FL eligibility policy (default: Linux sysfs). */
  readonly deviceConditions?: DeviceConditions | undefined;
  /** Injectable randomness for backoff jitter (tests). */
  readonly random?: () => number;
  /**
   * Runs the agent as a child device behind a gateway (DESIGN.md §6), e.g. a microcontroller that the
   * firmware bridge presents to the fleet: no enrolment and no MQTT connection of its own (`uplink` comes
   * from the gateway agent's `openChild`), and the reported hardware and version are the child's.
   */
  readonly child?: ChildOptions | undefined;
}

export interface ChildOptions {
  readonly uplink: ChildUplink;
  readonly hardware: ReportedMessage['hardware'];
  /** Reported as `agentVersion`: the child's own software, e.g. its firmware version. */
  readonly version: string;
}

export interface FlOptions extends FlPolicy {
  /** Labelled samples kept per model line (oldest dropped beyond it). */
  readonly maxSamples: number;
  readonly backend: 'wasm' | 'cpu';
}

export type DriftTuning = Tuning<Omit<DriftOptions, 'adwin' | 'pageHinkley'>> & {
  readonly adwin?: Tuning<DriftOptions['adwin']> | undefined;
  readonly pageHinkley?: Tuning<DriftOptions['pageHinkley']> | undefined;
};

export interface ResolvedSettings {
  readonly backoff: BackoffOptions;
  readonly fetch: FetchOptions;
  readonly telemetry: TelemetryOptions;
  readonly drift: DriftOptions;
  readonly shadow: ShadowOptions;
  readonly fl: FlOptions;
  readonly resources: ResourceOptions;
  readonly reportIntervalMs: number;
  readonly supervision: SupervisionTuning;
}

/** Overrides that are not undefined, over defaults (one level deep). */
export function merge<T extends object>(defaults: T, overrides: Tuning<T> | undefined): T {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** Merges partial option groups over DEFAULTS. */
export function resolveSettings(options: AgentOptions): ResolvedSettings {
  return {
    backoff: merge<BackoffOptions>(DEFAULTS.backoff, options.backoff),
    fetch: merge<FetchOptions>(DEFAULTS.fetch, options.fetch),
    telemetry: merge<TelemetryOptions>(DEFAULTS.telemetry, options.telemetry),
    drift: resolveDrift(options.drift),
    shadow: merge<ShadowOptions>(DEFAULTS.shadow, options.shadow),
    fl: merge<FlOptions>(DEFAULTS.fl, options.fl),
    resources: merge<ResourceOptions>(DEFAULTS.resources, options.resources),
    reportIntervalMs: options.reportIntervalMs ?? DEFAULTS.reportIntervalMs,
    supervision: merge<SupervisionTuning>(DEFAULTS.supervision, options.supervision),
  };
}

function resolveDrift(tuning: DriftTuning | undefined): DriftOptions {
  const { adwin, pageHinkley, ...top } = tuning ?? {};
  const defaults = DEFAULTS.drift;
  return {
    ...merge<Omit<DriftOptions, 'adwin' | 'pageHinkley'>>(
      { windowMs: defaults.windowMs, windowRows: defaults.windowRows, signal: defaults.signal },
      top,
    ),
    adwin: merge<DriftOptions['adwin']>(defaults.adwin, adwin),
    pageHinkley: merge<DriftOptions['pageHinkley']>(defaults.pageHinkley, pageHinkley),
  };
}
