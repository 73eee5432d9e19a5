import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createShadowWindows, type ShadowRecord } from '../../src/shadow/shadow-windows.js';
import { manualClock } from '../helpers/manual-clock.js';
import { NOW_MS } from '../helpers/signed-docs.js';

const WINDOW_MS = 60_000;
const pair = { line: 'iris', championVersion: 1, challengerVersion: 2 };
const compared = (rows: number, agreements: number, challengerLatencyMs: number) =>
  ({ kind: 'compared', rows, agreements, championLatencyMs: 1, challengerLatencyMs }) as const;

function setup() {
  const clock = manualClock(Math.floor(NOW_MS / WINDOW_MS) * WINDOW_MS);
  const records: ShadowRecord[] = [];
  const windows = createShadowWindows({
    clock,
    windowMs: WINDOW_MS,
    logger: pino({ level: 'silent' }),
    onWindow: (r) => records.push(r),
  });
  return { clock, records, windows };
}

describe('shadow windows', () => {
  it('sums rows, agreements and errors per aligned window and summarises both latencies', () => {
    const { clock, records, windows } = setup();
    const startMs = clock.now();
    windows.record(pair, compared(10, 9, 2));
    windows.record(pair, { kind: 'challenger-error' });
    windows.record(pair, compared(5, 5, 4));
    clock.advance(WINDOW_MS);
    expect(records).toEqual([
      {
        kind: 'shadow',
        ...pair,
        windowStartMs: startMs,
        windowEndMs: startMs + WINDOW_MS,
        rows: 15,
        agreements: 14,
        challengerErrors: 1,
        latencyMs: {
          champion: { p50: 1, p95: 1, p99: 1, max: 1, mean: 1 },
          challenger: { p50: 2, p95: 4, p99: 4, max: 4, mean: 3 },
        },
      },
    ]);
  });

  it('closes the window when the champion or the challenger changes, and emits no empty windows', () => {
    const { clock, records, windows } = setup();
    windows.record(pair, compared(3, 3, 1));
    clock.advance(1000);
    windows.record({ ...pair, championVersion: 3 }, compared(4, 1, 1));
    windows.flush();
    windows.flush();
    expect(records.map((r) => [r.championVersion, r.rows, r.windowEndMs - r.windowStartMs])).toEqual([
      [1, 3, 1000],
      [3, 4, 0],
    ]);
  });
});
