import { poisonUpdates, randomUpdates } from '@edgefleet/test-kit/fl-updates';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClientUpdate, createStrategy, weightedMeanDelta } from '../../src/index.js';

const LENGTH = 3000;

function columnUpdates(columns: readonly (readonly number[])[]): ClientUpdate[] {
  // columns[c][k] is coordinate c of client k.
  const clients = columns[0]?.length ?? 0;
  return Array.from({ length: clients }, (_, k) => ({
    deviceId: `d${k}`,
    delta: Float32Array.from(columns.map((column) => column[k]!)),
    sampleCount: 1 + k,
  }));
}

function sortedMedian(values: readonly number[]): number {
  const s = Float32Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sortedTrimmedMean(values: readonly number[], trimFraction: number): number {
  const s = Float32Array.from(values).sort();
  const trim = Math.floor(trimFraction * s.length);
  const kept = s.subarray(trim, s.length - trim);
  return kept.reduce((sum, v) => sum + v, 0) / kept.length;
}

function distance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

function norm(a: Float32Array): number {
  return distance(a, new Float32Array(a.length));
}

// Few distinct values exercise the equal-to-pivot paths of the quickselect.
const value = fc.oneof(fc.float({ min: -1e3, max: 1e3, noNaN: true }), fc.constantFrom(-1, 0, 1)).map((v) => v + 0);
const columns = fc
  .integer({ min: 1, max: 41 })
  .chain((clients) =>
    fc.array(fc.array(value, { minLength: clients, maxLength: clients }), { minLength: 1, maxLength: 140 }),
  );

describe('coordinate-wise median and trimmed mean (Yin et al. 2018)', () => {
  it('equal the sorted-column definitions on every coordinate, across block boundaries', () => {
    fc.assert(
      fc.property(columns, fc.constantFrom(0, 0.1, 0.2, 0.45), (cols, trimFraction) => {
        const updates = columnUpdates(cols);
        const global = new Float32Array(cols.length);
        const median = createStrategy({ name: 'median' }).aggregate(global, updates);
        const trimmed = createStrategy({ name: 'trimmed-mean', trimFraction }).aggregate(global, updates);
        cols.forEach((column, c) => {
          // + 0 folds −0 into +0: the aggregate adds the median to a zero global vector.
          expect(median[c]! + 0).toBe(Math.fround(sortedMedian(column)) + 0);
          expect(trimmed[c]).toBeCloseTo(sortedTrimmedMean(column, trimFraction), 3);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('stays inside the honest values’ range when fewer than half the clients are arbitrary outliers', () => {
    const scenario = fc.record({
      honest: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 30 }),
      outlierShare: fc.double({ min: 0, max: 0.49, noNaN: true }),
      outlier: fc.oneof(fc.constant(1e30), fc.constant(-1e30), fc.float({ min: -1e6, max: 1e6, noNaN: true })),
    });
    fc.assert(
      fc.property(scenario, ({ honest, outlierShare, outlier }) => {
        // f outliers among f + h values with f < (f + h) / 2  ⇔  f < h.
        const outliers = Math.min(honest.length - 1, Math.floor((outlierShare * honest.length) / (1 - outlierShare)));
        const column = [...new Array(outliers).fill(outlier), ...honest];
        const trim = outliers / column.length;
        const global = new Float32Array(1);
        const median = createStrategy({ name: 'median' }).aggregate(global, columnUpdates([column]))[0]!;
        const lo = Math.fround(Math.min(...honest));
        const hi = Math.fround(Math.max(...honest));
        expect(median).toBeGreaterThanOrEqual(lo);
        expect(median).toBeLessThanOrEqual(hi);
        if (trim < 0.5) {
          const strategy = createStrategy({ name: 'trimmed-mean', trimFraction: Math.min(0.499, trim + 1e-9) });
          const trimmed = strategy.aggregate(global, columnUpdates([column]))[0]!;
          expect(trimmed).toBeGreaterThanOrEqual(lo - 1e-6);
          expect(trimmed).toBeLessThanOrEqual(hi + 1e-6);
        }
      }),
    );
  });

  it('cannot be pushed around by a poisoner claiming a huge sample count (they ignore counts)', () => {
    const honest = randomUpdates({ count: 9, length: 16, seed: 8, mean: 0.01 });
    const poisoned = [...honest, { deviceId: 'evil', delta: new Float32Array(16).fill(50), sampleCount: 1e9 }];
    const global = new Float32Array(16);
    for (const name of ['median', 'trimmed-mean'] as const) {
      const out = createStrategy({ name }).aggregate(global, poisoned);
      for (const v of out) expect(Math.abs(v)).toBeLessThan(0.1);
    }
    expect(createStrategy({ name: 'fedavg' }).aggregate(global, poisoned)[0]).toBeGreaterThan(49);
  });
});

describe('with 20 % of clients sending scaled (poisoned) updates', () => {
  // Honest clients share a true direction (mean 0.01 per coordinate) plus their own noise.
  const honest = randomUpdates({ count: 50, length: LENGTH, seed: 21, mean: 0.01, stdDev: 0.01 });
  const honestMean = weightedMeanDelta(honest.slice(10));
  const global = new Float32Array(LENGTH);

  for (const attack of [
    { label: 'boosted sign flip (×−10)', scale: -10 },
    { label: 'boosted model replacement (×50)', scale: 50 },
  ]) {
    it(`keeps median and trimmed mean near the honest mean where FedAvg is dragged away: ${attack.label}`, () => {
      const updates = poisonUpdates(honest, { fraction: 0.2, scale: attack.scale });
      const relative = (name: 'fedavg' | 'median' | 'trimmed-mean') =>
        distance(createStrategy({ name }).aggregate(global, updates), honestMean) / norm(honestMean);
      // FedAvg moves by ~0.2·|scale − 1| times the honest mean (2.2 and 9.8). One honest client alone sits at
      // ~1.0 from the honest mean (its noise equals the mean); the robust rules measured ~0.3.
      expect(relative('fedavg')).toBeGreaterThan(2);
      expect(relative('median')).toBeLessThan(0.5);
      expect(relative('trimmed-mean')).toBeLessThan(0.5);
    });
  }
});
