import { systemClock } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAlignedWindows } from '../../src/telemetry/aligned-windows.js';

const WINDOW_MS = 60_000;
const T0 = 1_700_000_040_000; // a multiple of 60 s

interface CountWindow {
  readonly key: string;
  startMs: number;
  count: number;
}

/** A minimal aggregator: counts events per key; a closed window is recorded and emptied. */
function counter() {
  const byKey = new Map<string, CountWindow>();
  const closed: { key: string; startMs: number; endMs: number; count: number }[] = [];
  const windows = createAlignedWindows<CountWindow>({
    clock: systemClock,
    windowMs: WINDOW_MS,
    *openWindows() {
      for (const w of byKey.values()) if (w.count > 0) yield w;
    },
    closeWindow(w, endMs) {
      closed.push({ key: w.key, startMs: w.startMs, endMs, count: w.count });
      w.count = 0;
    },
  });
  return {
    windows,
    closed,
    add(key: string) {
      let w = byKey.get(key);
      if (w === undefined) {
        w = { key, startMs: 0, count: 0 };
        byKey.set(key, w);
      }
      if (w.count === 0) w.startMs = windows.startAt(Date.now(), Number.NEGATIVE_INFINITY);
      w.count += 1;
      windows.schedule();
    },
  };
}

describe('aligned windows', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('aligns window starts and ends to multiples of windowMs', () => {
    const { windows } = counter();
    expect(windows.alignedStart(T0 + 59_999)).toBe(T0);
    expect(windows.alignedStart(T0 + 60_000)).toBe(T0 + 60_000);
    expect(windows.endOf({ startMs: T0 + 12_345 } as CountWindow)).toBe(T0 + 60_000);
    expect(windows.startAt(T0 + 30_000, Number.NEGATIVE_INFINITY)).toBe(T0);
    expect(windows.startAt(T0 + 30_000, T0 + 10_000)).toBe(T0 + 10_000);
  });

  it('closes each window at its aligned boundary and re-arms the timer for the next one', () => {
    const c = counter();
    vi.advanceTimersByTime(20_000);
    c.add('a');
    c.add('a');
    vi.advanceTimersByTime(39_999);
    expect(c.closed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(c.closed).toEqual([{ key: 'a', startMs: T0, endMs: T0 + 60_000, count: 2 }]);

    vi.advanceTimersByTime(5_000);
    c.add('b');
    vi.advanceTimersByTime(55_000);
    expect(c.closed).toHaveLength(2);
    expect(c.closed[1]).toEqual({ key: 'b', startMs: T0 + 60_000, endMs: T0 + 120_000, count: 1 });
    expect(vi.getTimerCount()).toBe(0); // nothing open: no timer
  });

  it('flush closes every open window early, at now, and stops the timer', () => {
    const c = counter();
    vi.advanceTimersByTime(10_000);
    c.add('a');
    c.add('b');
    vi.advanceTimersByTime(15_000);
    expect(c.windows.flush()).toBe(T0 + 25_000);
    expect(c.closed.map((w) => [w.key, w.startMs, w.endMs])).toEqual([
      ['a', T0, T0 + 25_000],
      ['b', T0, T0 + 25_000],
    ]);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(c.closed).toHaveLength(2);
  });

  it('flush ends a window whose boundary has already passed at that boundary, not later', () => {
    const c = counter();
    c.add('a');
    vi.setSystemTime(T0 + 90_000); // the clock moved on without the timer firing
    c.windows.flush();
    expect(c.closed).toEqual([{ key: 'a', startMs: T0, endMs: T0 + 60_000, count: 1 }]);
  });

  it('close flushes once, stops the timer for good and is idempotent', () => {
    const c = counter();
    c.add('a');
    vi.advanceTimersByTime(1_000);
    c.windows.close();
    expect(c.windows.state).toBe('closed');
    expect(c.closed).toEqual([{ key: 'a', startMs: T0, endMs: T0 + 1_000, count: 1 }]);
    c.windows.close();
    expect(c.closed).toHaveLength(1);

    c.add('b'); // the aggregator still counts, but no timer is armed any more
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(c.closed).toHaveLength(1);
  });
});
