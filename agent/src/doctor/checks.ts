/**
 * The checks `edgefleet-agent doctor` runs, each a small function returning
 * `{ name, status, detail }` — `fail` is a problem the agent cannot work around, `warn` one it can,
 * `skip` a check without what it needs. Network checks have a timeout and never throw.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { connect } from 'node:net';
import type { TrustedRoot } from '@edgefleet/protocol';
import { loadSlot } from '../install/boot-loader.js';
import type { SlotStore } from '../install/slot-store.js';
import type { Runtime } from '../runtime/runtime.js';
import { BASE_RELEASE, type ReleaseStore } from '../self-update/release-store.js';
import type { SystemStats } from '../system/system-stats.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';
export interface CheckResult {
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

export async function checkStateDir(stateDir: string): Promise<CheckResult> {
  try {
    await access(stateDir, constants.W_OK);
    return { name: 'state-dir', status: 'ok', detail: `${stateDir} is writable` };
  } catch (error) {
    return { name: 'state-dir', status: 'fail', detail: `${stateDir}: ${(error as Error).message}` };
  }
}

/** A TCP connect to the broker's host and port: reachability, not MQTT authentication. */
export function checkBroker(url: string | undefined, timeoutMs: number): Promise<CheckResult> {
  if (url === undefined) return Promise.resolve({ name: 'broker', status: 'skip', detail: 'no broker URL yet' });
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 1883) });
    const done = (result: CheckResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ name: 'broker', status: 'fail', detail: `${url}: no answer in ${timeoutMs} ms` }),
    );
    socket.once('connect', () =>
      done({ name: 'broker', status: 'ok', detail: `${url} reachable (${Date.now() - started} ms)` }),
    );
    socket.once('error', (error) => done({ name: 'broker', status: 'fail', detail: `${url}: ${error.message}` }));
  });
}

/**
 * Skew = local clock − control plane clock, read from GET /v1/health (`time`, else the Date header) and
 * corrected by half the round trip (Cristian 1989). A skewed clock breaks document expiry checks and the
 * alignment of telemetry windows.
 */
export async function checkClock(options: {
  controlPlaneUrl: string | undefined;
  maxSkewMs: number;
  timeoutMs: number;
  now: () => number;
}): Promise<CheckResult> {
  if (options.controlPlaneUrl === undefined) {
    return { name: 'clock', status: 'skip', detail: 'no controlPlaneUrl in the config' };
  }
  const url = new URL('/v1/health', options.controlPlaneUrl);
  try {
    const sent = options.now();
    const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
    const received = options.now();
    const body = (await response.json().catch(() => ({}))) as { time?: unknown };
    const header = Date.parse(response.headers.get('date') ?? '');
    const remote = typeof body.time === 'number' ? body.time : header;
    if (!Number.isFinite(remote)) return { name: 'clock', status: 'warn', detail: `${url.origin} gave no time` };
    const skewMs = Math.round((sent + received) / 2 - remote);
    const detail = `local clock is ${skewMs >= 0 ? 'ahead of' : 'behind'} the control plane by ${Math.abs(skewMs)} ms`;
    return { name: 'clock', status: Math.abs(skewMs) > options.maxSkewMs ? 'fail' : 'ok', detail };
  } catch (error) {
    return { name: 'clock', status: 'warn', detail: `${url.origin} unreachable: ${(error as Error).message}` };
  }
}

export async function checkResources(options: {
  stats: SystemStats;
  stateDir: string;
  diskReserveBytes: number;
  memoryReserveBytes: number;
}): Promise<CheckResult[]> {
  const disk = await options.stats.freeDiskBytes(options.stateDir);
  const memory = options.stats.availableMemoryBytes();
  return [
    {
      name: 'disk',
      status: disk < options.diskReserveBytes ? 'fail' : 'ok',
      detail: `${mib(disk)} free under ${options.stateDir} (reserve ${mib(options.diskReserveBytes)})`,
    },
    {
      name: 'memory',
      status: memory < options.memoryReserveBytes ? 'warn' : 'ok',
      detail: `${mib(memory)} available (reserve ${mib(options.memoryReserveBytes)})`,
    },
  ];
}

export async function checkRuntime(loadRuntime: () => Promise<Runtime>): Promise<CheckResult> {
  try {
    const runtime = await loadRuntime();
    return { name: 'runtime', status: 'ok', detail: `${runtime.name} loads on ${process.platform}/${process.arch}` };
  } catch (error) {
    return { name: 'runtime', status: 'fail', detail: `onnxruntime-node does not load: ${(error as Error).message}` };
  }
}

/** Every installed line's current slot: signature, digest, load and self-test, as at start-up. */
export async function checkModels(options: {
  slots: SlotStore;
  runtime: Runtime;
  root: TrustedRoot | undefined;
}): Promise<CheckResult[]> {
  const lines = await options.slots.lines();
  if (lines.length === 0) return [{ name: 'models', status: 'warn', detail: 'no model installed yet' }];
  if (options.root === undefined)
    return [{ name: 'models', status: 'skip', detail: 'not enrolled: no root to verify with' }];
  const results: CheckResult[] = [];
  for (const line of lines) {
    try {
      const pointer = await options.slots.current(line);
      if (pointer === undefined) continue;
      const entry = await loadSlot(
        { slots: options.slots, runtime: options.runtime, root: options.root },
        line,
        pointer,
      );
      await entry.model.close();
      results.push({ name: `model:${line}`, status: 'ok', detail: `v${entry.version} verified and self-tested` });
    } catch (error) {
      results.push({ name: `model:${line}`, status: 'fail', detail: (error as Error).message });
    }
  }
  return results;
}

export async function checkRelease(store: ReleaseStore): Promise<CheckResult> {
  try {
    const state = await store.readState();
    const running = state.current === BASE_RELEASE ? 'the base release' : `release ${state.current}`;
    const last = state.outcome;
    if (state.phase === 'trial') return { name: 'agent-release', status: 'warn', detail: `${running} is on trial` };
    if (last?.result === 'reverted') {
      return {
        name: 'agent-release',
        status: 'warn',
        detail: `${running}; release ${last.release} was reverted: ${last.reason ?? 'unknown reason'}`,
      };
    }
    return { name: 'agent-release', status: 'ok', detail: running };
  } catch (error) {
    return { name: 'agent-release', status: 'fail', detail: `release state unreadable: ${(error as Error).message}` };
  }
}
