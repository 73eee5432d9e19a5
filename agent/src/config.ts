/**
 * Agent configuration: the one frozen DEFAULTS object, the in-process options type, and the zod schema of
 * the JSON config file the CLI reads. File errors name the offending field (`fetch.windowChunks: ...`) so an
 * operator can fix a typo without reading code.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Transport } from './connection/transport.js';
import { AgentError } from './errors.js';
import type { ResourceOptions } from './install/resource-gate.js';
import type { Runtime } from './runtime/runtime.js';
import type { SystemStats } from './system/system-stats.js';

export const DEFAULTS = Object.freeze({
  backoff: Object.freeze({ initialMs: 500, maxMs: 30_000 }),
  fetch: Object.freeze({ windowChunks: 8, chunkTimeoutMs: 5000, maxChunkRetries: 3, maxStalledWindows: 20 }),
  /**
   * maxQueueBytes bounds the outbox by the size of its records (issue 11: SD cards fill up); 4 MiB holds
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
  /** On-device drift (issue 5); detector defaults are River's (`river.drift.ADWIN`, `PageHinkley`). */
  drift: Object.freeze({
    windowMs: 60_000,
    /** Also close a window after this many rows; 0 = by time only. */
    windowRows: 0,
    signal: 'confidence' as DriftSignal,
    adwin: Object.freeze({ delta: 0.002 }),
    pageHinkley: Object.freeze({ delta: 0.005, lambda: 50, alpha: 1 - 0.0001, minInstances: 30 }),
  }),
  /** Shadow runs (issue 4): aligned windows like drift's, and a bounded backlog per line. */
  shadow: Object.freeze({ windowMs: 60_000, maxQueuedPerLine: 8 }),
  /** Fetch progress is reported (retained) at most this often. */
  reportIntervalMs: 1000,
  keepaliveSec: 30,
  connectTimeoutMs: 10_000,
  cliHttpApi: Object.freeze({ host: '127.0.0.1', port: 8711 }),
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
  /** Local HTTP inference API; false (the default in-process) starts none. */
  readonly httpApi?: { readonly host?: string | undefined; readonly port?: number | undefined } | false;
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
  /** Operator-assigned hardware profile (e.g. "pi4-2gb", ≤ 64 chars), reported so rollouts can select by it. */
  readonly hardwareProfile?: string | undefined;
  /**
   * The model engine (default: onnxruntime-node on CPU). The seam for hardware-specific runtimes — an NPU or
   * GPU delegate whose numerics differ from the CPU's: every model it loads must still pass the manifest's
   * self-test vectors before it answers, so a delegate that computes differently fails the install
   * (`SELF_TEST_FAILED`) instead of serving wrong answers. Its `name` must match the manifests' `runtime`.
   */
  readonly runtime?: Runtime | undefined;
  /** Injectable randomness for backoff jitter (tests). */
  readonly random?: () => number;
}

export type DriftTuning = Tuning<Omit<DriftOptions, 'adwin' | 'pageHinkley'>> & {
  readonly adwin?: Tuning<DriftOptions['adwin']> | undefined;
  readonly pageHinkley?: Tuning<DriftOptions['pageHinkley']> | undefined;
};

const positiveInt = z.int().positive();
const probability = z.number().gt(0).lt(1);
const hexKey = z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex chars (a 32-byte ed25519 public key)');

export const configFileSchema = z.strictObject({
  stateDir: z.string().min(1),
  rootPublicKeys: z.array(hexKey).min(1),
  controlPlaneUrl: z.url().optional(),
  enrolmentToken: z.string().min(1).optional(),
  deviceId: z.string().min(1).optional(),
  mqttUrl: z
    .string()
    .regex(/^(mqtt|tcp):\/\/[^/]+$/, 'expected mqtt://host:port')
    .optional(),
  httpApi: z
    .union([
      z.literal(false),
      z.strictObject({ host: z.string().min(1).optional(), port: z.int().min(0).max(65_535).optional() }),
    ])
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  backoff: z.strictObject({ initialMs: positiveInt.optional(), maxMs: positiveInt.optional() }).optional(),
  fetch: z
    .strictObject({
      windowChunks: z.int().min(1).max(64).optional(),
      chunkTimeoutMs: positiveInt.optional(),
      maxChunkRetries: z.int().min(0).optional(),
      maxStalledWindows: positiveInt.optional(),
    })
    .optional(),
  telemetry: z
    .strictObject({
      windowMs: positiveInt.optional(),
      batchSize: z.int().min(1).max(256).optional(),
      flushIntervalMs: positiveInt.optional(),
      maxQueueRows: positiveInt.optional(),
      maxQueueBytes: z.int().min(4096).optional(),
    })
    .optional(),
  resources: z
    .strictObject({
      diskReserveBytes: z.int().min(0).optional(),
      memoryReserveBytes: z.int().min(0).optional(),
      retryAfterMs: positiveInt.optional(),
    })
    .optional(),
  drift: z
    .strictObject({
      windowMs: positiveInt.optional(),
      windowRows: z.int().min(0).optional(),
      signal: z.enum(['confidence', 'error']).optional(),
      adwin: z.strictObject({ delta: probability.optional() }).optional(),
      pageHinkley: z
        .strictObject({
          delta: z.number().min(0).optional(),
          lambda: z.number().positive().optional(),
          alpha: z.number().gt(0).max(1).optional(),
          minInstances: positiveInt.optional(),
        })
        .optional(),
    })
    .optional(),
  shadow: z
    .strictObject({ windowMs: positiveInt.optional(), maxQueuedPerLine: z.int().min(0).max(1024).optional() })
    .optional(),
  reportIntervalMs: positiveInt.optional(),
  hardwareProfile: z.string().min(1).max(64).optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Validates a parsed config object; relative `stateDir` resolves against `baseDir`. */
export function parseConfig(value: unknown, baseDir: string): ConfigFile {
  const parsed = configFileSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AgentError('BODY_INVALID', `invalid agent config — ${lines.join('; ')}`, {
      details: { fields: parsed.error.issues.map((i) => i.path.join('.')) },
    });
  }
  return { ...parsed.data, stateDir: resolve(baseDir, parsed.data.stateDir) };
}

/** Reads and validates the JSON config file at `path`. */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AgentError('BODY_INVALID', `cannot read config file ${path}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AgentError('BODY_INVALID', `config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseConfig(value, dirname(resolve(path)));
}

export interface ResolvedSettings {
  readonly backoff: BackoffOptions;
  readonly fetch: FetchOptions;
  readonly telemetry: TelemetryOptions;
  readonly drift: DriftOptions;
  readonly shadow: ShadowOptions;
  readonly resources: ResourceOptions;
  readonly reportIntervalMs: number;
}

function merge<T extends object>(defaults: T, overrides: Tuning<T> | undefined): T {
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
    resources: merge<ResourceOptions>(DEFAULTS.resources, options.resources),
    reportIntervalMs: options.reportIntervalMs ?? DEFAULTS.reportIntervalMs,
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
