import { describe, expect, it } from 'vitest';
import { createPageHinkley } from '../../src/index.js';
import { bernoulliStream, seededRandom } from './streams.js';

function firstAlarm(detector: { update(x: number): boolean }, stream: readonly number[]): number {
  return stream.findIndex((x) => detector.update(x));
}

const step = (before: number, after: number) => [...new Array(100).fill(before), ...new Array(200).fill(after)];

describe('Page-Hinkley', () => {
  /*
   * Derivation (α = 1, δ = 0.005, λ = 50): during the first 100 zeros the running mean is 0, every deviation
   * is 0 and m_n = −0.005·n, so the minimum is m_100 = −0.5. After k ones (n = 100 + k) the running mean is
   * k/n, the deviation of the k-th one is 1 − k/n = 100/(100 + k), and
   *   m_n − min = Σ_{j=1..k} 100/(100 + j) − 0.005·k.
   * That is 49.556 for k = 65 and 50.153 for k = 66, so the alarm fires on the 66th one: index 100 + 65 = 165.
   */
  it('fires on the exact sample derived by hand after an upward step', () => {
    const ph = createPageHinkley({ alpha: 1, mode: 'up' });
    expect(firstAlarm(ph, step(0, 1))).toBe(165);
    expect(ph.estimation).toBeCloseTo(66 / 166, 12);
    expect(ph.width).toBe(166);
  });

  it('detects the mirrored downward step at the same index in both-sided mode only', () => {
    // Same sum with the sign flipped: M_n − m'_n = Σ 100/(100 + j) − 0.005·k.
    expect(firstAlarm(createPageHinkley({ alpha: 1, mode: 'both' }), step(1, 0))).toBe(165);
    expect(firstAlarm(createPageHinkley({ alpha: 1, mode: 'up' }), step(1, 0))).toBe(-1);
  });

  it('stays silent before minInstances samples even on a huge jump', () => {
    const ph = createPageHinkley({ minInstances: 30 });
    const stream = [...new Array(5).fill(0), ...new Array(24).fill(1000)];
    expect(firstAlarm(ph, stream)).toBe(-1);
    expect(ph.update(1000)).toBe(true); // the 30th sample may fire
  });

  it('starts afresh on the sample after an alarm (River semantics)', () => {
    const ph = createPageHinkley({ alpha: 1, mode: 'up' });
    firstAlarm(ph, step(0, 1));
    ph.update(7);
    expect(ph.width).toBe(1);
    expect(ph.estimation).toBe(7);
  });

  it('raises no false alarm over 10,000 samples of a stationary Bernoulli(0.2) stream', () => {
    const ph = createPageHinkley();
    expect(firstAlarm(ph, bernoulliStream(seededRandom(42), 10_000, 0.2))).toBe(-1);
    expect(ph.estimation).toBeCloseTo(0.2, 1);
  });

  it('rejects parameters outside their domain', () => {
    expect(() => createPageHinkley({ alpha: 1.5 })).toThrow(RangeError);
    expect(() => createPageHinkley({ lambda: 0 })).toThrow(RangeError);
  });
});
