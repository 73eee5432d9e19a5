/**
 * Per-window inference statistics (DESIGN.md §4 Telemetry): for each (line, version), the call count,
 * error count and a latency summary over fixed windows aligned to multiples of `windowMs` on the Clock.
 * Latency percentiles are nearest-rank over the window's successful calls. To bound memory, at most
 * `maxSamples` (10,000) latencies are kept per window by reservoir sampling (Vitter 1985, Algorithm R):
 * percentiles are exact up to that many calls and a uniform-sample estimate beyond; count, errors, max
 * and mean are always exact. Empty windows are not emitted.
 */
import type { Clock, InferenceWindow, LatencySummary } from '@edgefleet/protocol';
import { type Logger, pino } from 'pino';
import { createAlignedWindows } from './aligned-windows.js';

const DEFAULTS = Object.freeze({
  maxSamples: 10_000,
});

export type WindowSummary = Omit<InferenceWindow, 'seq'>;

export interface LatencyWindowsOptions {
  readonly clock: Clock;
  readonly windowMs: number;
  readonly onWindow: (window: WindowSummary) => void;
  readonly maxSamples?: number;
  /** Uniform [0, 1) source for reservoir sampling; injectable for deterministic tests. */
  readonly random?: () => number;
  /** onWindow failures (e.g. a closed outbox) are logged here, never thrown into record() or the timer. */
  readonly logger?: Logger;
}

export interface LatencyWindows {
  record(sample: { line: string; version: number; latencyMs: number; ok: boolean }): void;
  /** Closes every open window now (e.g. before shutdown). */
  flush(): void;
  /** Flushes, then stops the timer. */
  close(): void;
}

/** The latencies of one window: exact count/sum/max and a bounded reservoir for the percentiles. */
export interface LatencyReservoir {
  /** Successful calls seen; reservoir sampling needs it separately from the reservoir size. */
  okCount: number;
  sum: number;
  max: number;
  readonly samples: number[];
}

export function createLatencyReservoir(): LatencyReservoir {
  return { okCount: 0, sum: 0, max: 0, samples: [] };
}

interface OpenWindow {
  readonly key: string;
  readonly line: string;
  readonly version: number;
  readonly startMs: number;
  count: number;
  errors: number;
  readonly latency: LatencyReservoir;
}

export function createLatencyWindows(options: LatencyWindowsOptions): LatencyWindows {
  const { clock } = options;
  const maxSamples = options.maxSamples ?? DEFAULTS.maxSamples;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const open = new Map<string, OpenWindow>();
  /** After an early flush, the next windows of the same period start here so windows never overlap. */
  let flushedAtMs = Number.NEGATIVE_INFINITY;

  function emit(window: OpenWindow, endMs: number): void {
    open.delete(window.key);
    const summary: WindowSummary = {
      kind: 'inference',
      line: window.line,
      version: window.version,
      windowStartMs: window.startMs,
      windowEndMs: endMs,
      count: window.count,
      errors: window.errors,
      latencyMs: summarizeLatency(window.latency),
    };
    try {
      options.onWindow(summary);
    } catch (error) {
      logger.error({ err: error, line: window.line, version: window.version }, 'could not hand over a latency window');
    }
  }

  // Every open window holds at least one call: it is created by record() and removed when emitted.
  const windows = createAlignedWindows<OpenWindow>({
    clock,
    windowMs: options.windowMs,
    openWindows: () => open.values(),
    closeWindow: emit,
  });

  return {
    record(sample) {
      if (windows.state === 'closed') return;
      const nowMs = clock.now();
      const key = `${sample.line}\u0000${sample.version}`;
      let window = open.get(key);
      if (window !== undefined && windows.alignedStart(window.startMs) !== windows.alignedStart(nowMs)) {
        // The timer has not fired yet (a busy event loop); close the stale window before starting a new one.
        emit(window, windows.endOf(window));
        window = undefined;
      }
      if (window === undefined) {
        window = {
          key,
          line: sample.line,
          version: sample.version,
          startMs: windows.startAt(nowMs, flushedAtMs),
          count: 0,
          errors: 0,
          latency: createLatencyReservoir(),
        };
        open.set(key, window);
      }
      window.count += 1;
      if (!sample.ok) window.errors += 1;
      else addLatency(window.latency, sample.latencyMs, { maxSamples, random });
      windows.schedule();
    },
    flush() {
      flushedAtMs = windows.flush();
    },
    close() {
      windows.close();
    },
  };
}

/** Adds one successful call's latency (Algorithm R beyond `maxSamples`, default 10,000). */
export function addLatency(
  window: LatencyReservoir,
  latencyMs: number,
  options: { maxSamples?: number; random?: () => number } = {},
): void {
  const maxSamples = options.maxSamples ?? DEFAULTS.maxSamples;
  const random = options.random ?? Math.random;
  window.okCount += 1;
  window.sum += latencyMs;
  if (latencyMs > window.max) window.max = latencyMs;
  if (window.samples.length < maxSamples) {
    window.samples.push(latencyMs);
    return;
  }
  // Algorithm R: the i-th sample replaces a random slot with probability maxSamples / i.
  const slot = Math.floor(random() * window.okCount);
  if (slot < maxSamples) window.samples[slot] = latencyMs;
}

/** Nearest-rank p50/p95/p99 plus exact max and mean; all zero for a window without successful calls. */
export function summarizeLatency(window: LatencyReservoir): LatencySummary {
  if (window.okCount === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(window.samples).sort();
  return {
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    max: window.max,
    mean: window.sum / window.okCount,
  };
}

/** Nearest-rank percentile: the smallest sample with at least p % of the samples at or below it. */
function nearestRank(sorted: Float64Array, p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}
