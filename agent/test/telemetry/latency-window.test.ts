import { systemClock } from '@edgefleet/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLatencyWindows, type WindowSummary } from '../../src/telemetry/latency-window.js';

const WINDOW_MS = 60_000;
const T0 = 1_700_000_040_000; // a multiple of 60 s
const logger = pino({ level: 'silent' });

/** Independent reference: sort, then nearest rank (smallest value with ≥ p % of samples at or below it). */
function referencePercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  let rank = 1;
  while (rank < sorted.length && rank / sorted.length < p / 100) rank += 1;
  return sorted[rank - 1]!;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('latency windows', () => {
  let emitted: WindowSummary[];
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    emitted = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function windows(maxSamples?: number) {
    return createLatencyWindows({
      clock: systemClock,
      windowMs: WINDOW_MS,
      onWindow: (w) => emitted.push(w),
      logger,
      random: seeded(7),
      ...(maxSamples === undefined ? {} : { maxSamples }),
    });
  }

  it('summarises each (line, version) with nearest-rank percentiles equal to a sort-based reference', () => {
    const w = windows();
    const random = seeded(1);
    const latencies: Record<string, number[]> = { 'iris/1': [], 'iris/2': [] };
    let errors = 0;
    for (let i = 0; i < 997; i++) {
      vi.advanceTimersByTime(50);
      const version = i % 3 === 0 ? 2 : 1;
      const ok = i % 17 !== 0;
      const latencyMs = random() * 20 + (version === 2 ? 5 : 0);
      w.record({ line: 'iris', version, latencyMs, ok });
      if (ok) latencies[`iris/${version}`]!.push(latencyMs);
      else if (version === 1) errors += 1;
    }
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(WINDOW_MS);
    expect(emitted).toHaveLength(2);
    for (const window of emitted) {
      const values = latencies[`${window.line}/${window.version}`]!;
      expect(window).toMatchObject({ kind: 'inference', windowStartMs: T0, windowEndMs: T0 + WINDOW_MS });
      expect(window.latencyMs.p50).toBe(referencePercentile(values, 50));
      expect(window.latencyMs.p95).toBe(referencePercentile(values, 95));
      expect(window.latencyMs.p99).toBe(referencePercentile(values, 99));
      expect(window.latencyMs.max).toBe(Math.max(...values));
      expect(window.latencyMs.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    }
    const v1 = emitted.find((x) => x.version === 1)!;
    expect(v1.errors).toBe(errors);
    expect(v1.count).toBe(latencies['iris/1']!.length + errors);
  });

  it('closes windows on aligned boundaries and emits nothing for empty windows', () => {
    const w = windows();
    vi.advanceTimersByTime(10_000);
    w.record({ line: 'iris', version: 1, latencyMs: 3, ok: true });
    vi.advanceTimersByTime(49_999);
    expect(emitted).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(emitted).toMatchObject([{ windowStartMs: T0, windowEndMs: T0 + WINDOW_MS, count: 1 }]);
    vi.advanceTimersByTime(5 * WINDOW_MS);
    expect(emitted).toHaveLength(1);
    w.record({ line: 'iris', version: 1, latencyMs: 4, ok: true });
    vi.advanceTimersByTime(WINDOW_MS);
    expect(emitted[1]).toMatchObject({ windowStartMs: T0 + 6 * WINDOW_MS, windowEndMs: T0 + 7 * WINDOW_MS });
    w.close();
  });

  it('counts failed calls without letting their latency into the summary', () => {
    const w = windows();
    w.record({ line: 'iris', version: 1, latencyMs: 1000, ok: false });
    w.record({ line: 'iris', version: 1, latencyMs: 2, ok: true });
    w.record({ line: 'digits', version: 1, latencyMs: 9, ok: false });
    w.flush();
    expect(emitted.find((x) => x.line === 'iris')).toMatchObject({
      count: 2,
      errors: 1,
      latencyMs: { max: 2, p99: 2 },
    });
    expect(emitted.find((x) => x.line === 'digits')).toMatchObject({
      count: 1,
      errors: 1,
      latencyMs: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
    });
  });

  it('flush closes open windows now, and the rest of the period becomes a new, non-overlapping window', () => {
    const w = windows();
    w.record({ line: 'iris', version: 1, latencyMs: 1, ok: true });
    vi.advanceTimersByTime(20_000);
    w.flush();
    expect(emitted).toMatchObject([{ windowStartMs: T0, windowEndMs: T0 + 20_000 }]);
    vi.advanceTimersByTime(5_000);
    w.record({ line: 'iris', version: 1, latencyMs: 1, ok: true });
    vi.advanceTimersByTime(WINDOW_MS);
    expect(emitted[1]).toMatchObject({ windowStartMs: T0 + 20_000, windowEndMs: T0 + WINDOW_MS });
  });

  it('closes a stale window itself when a sample of the next period arrives before the timer', () => {
    let offset = 0;
    const fixed = { now: () => T0 + offset, setTimer: () => () => {} };
    const w = createLatencyWindows({ clock: fixed, windowMs: WINDOW_MS, onWindow: (x) => emitted.push(x), logger });
    w.record({ line: 'iris', version: 1, latencyMs: 1, ok: true });
    offset = WINDOW_MS + 5;
    w.record({ line: 'iris', version: 1, latencyMs: 2, ok: true });
    expect(emitted).toMatchObject([{ windowStartMs: T0, windowEndMs: T0 + WINDOW_MS, count: 1 }]);
  });

  it('bounds memory with a reservoir while count, errors, max and mean stay exact', () => {
    const w = windows(100);
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const latencyMs = (i * 7919) % 1000;
      values.push(latencyMs);
      w.record({ line: 'iris', version: 1, latencyMs, ok: true });
    }
    w.flush();
    const [window] = emitted;
    expect(window?.count).toBe(20_000);
    expect(window?.latencyMs.max).toBe(999);
    expect(window?.latencyMs.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
    // Uniform 0..999: a 100-sample reservoir puts the median well inside the middle third.
    expect(window?.latencyMs.p50).toBeGreaterThan(333);
    expect(window?.latencyMs.p50).toBeLessThan(666);
  });

  it('keeps recording when the window consumer throws', () => {
    const w = createLatencyWindows({
      clock: systemClock,
      windowMs: WINDOW_MS,
      logger,
      onWindow: () => {
        throw new Error('outbox closed');
      },
    });
    w.record({ line: 'iris', version: 1, latencyMs: 1, ok: true });
    expect(() => vi.advanceTimersByTime(WINDOW_MS)).not.toThrow();
    expect(() => w.record({ line: 'iris', version: 1, latencyMs: 1, ok: true })).not.toThrow();
  });
});
