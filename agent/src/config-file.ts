/**
 * The JSON config file the CLI reads (`--config agent.json`): its zod schema and loader. Errors name the
 * offending field (`fetch.windowChunks: ...`) so an operator can fix a typo without reading code; a
 * relative `stateDir` resolves against the file's directory.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { AgentError } from './errors.js';

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
      z.strictObject({
        host: z.string().min(1).optional(),
        port: z.int().min(0).max(65_535).optional(),
        maxBodyBytes: positiveInt.optional(),
        token: z.string().min(16).optional(),
        allowedHosts: z.array(z.string().min(1)).max(32).optional(),
      }),
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
  fl: z
    .strictObject({
      enabled: z.boolean().optional(),
      minSamples: positiveInt.optional(),
      idleMs: z.int().min(0).optional(),
      requirePower: z.boolean().optional(),
      maxTemperatureC: z.number().optional(),
      maxSamples: positiveInt.optional(),
      backend: z.enum(['wasm', 'cpu']).optional(),
    })
    .optional(),
  reportIntervalMs: positiveInt.optional(),
  statusHeartbeatMs: z.int().min(0).optional(),
  supervision: z
    .strictObject({
      healthTimeoutMs: positiveInt.optional(),
      stableAfterMs: positiveInt.optional(),
      watchdogSec: positiveInt.optional(),
      maxTrialStarts: positiveInt.optional(),
      maxCrashStarts: positiveInt.optional(),
      restartSec: positiveInt.optional(),
      nodeArgs: z
        .array(z.string().regex(/^--[a-z0-9-]+(=[^\s]+)?$/, 'expected a node option like --flag=value'))
        .max(16)
        .optional(),
    })
    .optional(),
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
