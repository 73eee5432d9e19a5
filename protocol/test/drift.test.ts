import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildReferenceProfile,
  type DriftSketch,
  mergeSketches,
  NUMERIC_BIN_COUNT,
  numericBin,
  type ReferenceProfile,
  SketchAccumulator,
  validateSketch,
  varianceOf,
} from '../src/index.js';
import { codeOf } from './fixtures.js';

const EDGES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/** Softmax-like outputs for rows, deterministic from the row (the model does not matter to the sketch). */
function outputsFor(rows: number[][]): number[][] {
  return rows.map((r) => {
    const e = [Math.exp(r[0]! / 10), Math.exp(r[1]! / 10), 1];
    const s = e[0]! + e[1]! + e[2]!;
    return e.map((x) => x / s);
  });
}

function sketchOf(profile: ReferenceProfile, rows: number[][], window = { start: 0, end: 1 }): DriftSketch {
  const acc = new SketchAccumulator(profile);
  acc.addRows(rows.flat(), outputsFor(rows).flat(), rows.length);
  return acc.snapshot({ line: 'm', version: 1, windowStartMs: window.start, windowEndMs: window.end });
}

const row = fc.tuple(
  fc.double({ min: -50, max: 50, noNaN: true }),
  fc.double({ min: -50, max: 50, noNaN: true }),
  fc.integer({ min: 0, max: 5 }),
);
const reference = Array.from({ length: 200 }, (_, i) => [Math.sin(i) * 20, (i % 17) - 8, i % 4]);
const profile = buildReferenceProfile({ rows: reference, outputs: outputsFor(reference), categorical: [2], topK: 3 });

describe('drift binning', () => {
  it.each([
    [-0.1, 0, 'below the minimum: underflow'],
    [0, 1, 'the minimum itself: first decile'],
    [0.5, 1, 'inside the first decile'],
    [1, 2, 'an inner edge belongs to the bin above it'],
    [9.99, 10, 'inside the last decile'],
    [10, 10, 'the maximum itself: last decile'],
    [10.01, 11, 'above the maximum: overflow'],
  ])('puts %d in bin %d (%s)', (x, bin) => {
    expect(numericBin(EDGES, x)).toBe(bin);
  });

  it('keeps repeated edges of a discrete feature well-defined (upper bound)', () => {
    const edges = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
    expect(numericBin(edges, 0)).toBe(3);
    expect(numericBin(edges, 1)).toBe(7);
    expect(numericBin(edges, 2)).toBe(10);
  });
});

describe('reference profile', () => {
  it('uses the type-7 deciles of the reference data as edges and counts every row once', () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // deciles of 0..100 are exactly 0,10,...,100
    const p = buildReferenceProfile({ rows: values.map((v) => [v]), outputs: values.map(() => [0.7, 0.3]) });
    const f = p.features[0]!;
    if (f.kind !== 'numeric') throw new Error('expected numeric');
    expect(f.edges).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    // [0,10) has 10 values, ..., [90,100] has 11; no under/overflow in the reference itself
    expect(f.counts).toEqual([0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 0]);
    expect(f.moments.mean).toBeCloseTo(50, 12);
    expect(varianceOf(f.moments)).toBeCloseTo((101 * 101 - 1) / 12, 9); // variance of a discrete uniform 0..100
    expect(p.output.counts).toEqual([101, 0]);
  });

  it('keeps the top-K categories by frequency and folds the rest into "other"', () => {
    const codes = [5, 5, 5, 1, 1, 9, 2];
    const p = buildReferenceProfile({
      rows: codes.map((c) => [c]),
      outputs: codes.map(() => [0.5, 0.5]),
      categorical: [0],
      topK: 2,
    });
    expect(p.features[0]).toMatchObject({ kind: 'categorical', categories: [5, 1], counts: [3, 2, 2] });
  });
});

describe('drift sketches', () => {
  it('merging the sketches of any split equals the sketch of the concatenated rows (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(row, { maxLength: 40 }), { minLength: 1, maxLength: 6 }), (parts) => {
        const windows = parts.map((rows, i) =>
          sketchOf(profile, rows as number[][], { start: i * 10, end: i * 10 + 9 }),
        );
        const merged = windows.reduce((a, b) => mergeSketches(a, b));
        const whole = sketchOf(profile, parts.flat() as number[][], { start: 0, end: (parts.length - 1) * 10 + 9 });
        // integer counts: exact
        expect(merged.count).toBe(whole.count);
        expect(merged.features.map((f) => f.bins)).toEqual(whole.features.map((f) => f.bins));
        expect(merged.output.bins).toEqual(whole.output.bins);
        expect([merged.windowStartMs, merged.windowEndMs]).toEqual([whole.windowStartMs, whole.windowEndMs]);
        // moments (Chan et al. 1979): equal up to floating-point rounding
        merged.features.forEach((f, i) => {
          const w = whole.features[i]!.moments;
          expect(f.moments.n).toBe(w.n);
          expect(Math.abs(f.moments.mean - w.mean)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(w.mean)));
          expect(Math.abs(f.moments.m2 - w.m2)).toBeLessThanOrEqual(1e-7 * (1 + w.m2));
        });
        validateSketch(merged, profile);
      }),
      { numRuns: 300 },
    );
  });

  it('counts a row into the underflow and overflow bins beyond the reference range', () => {
    const s = sketchOf(profile, [
      [-1000, 0, 0],
      [1000, 0, 0],
    ]);
    expect(s.features[0]!.bins[0]).toBe(1);
    expect(s.features[0]!.bins[NUMERIC_BIN_COUNT - 1]).toBe(1);
  });

  it.each([
    ['a feature with the wrong bin count', (s: DriftSketch) => s.features[0]!.bins.push(0)],
    ['a feature missing', (s: DriftSketch) => s.features.pop()],
    ['bins that do not add up to the row count', (s: DriftSketch) => (s.features[1]!.bins[3]! += 1)],
    ['moments over a different number of rows', (s: DriftSketch) => (s.features[0]!.moments.n += 1)],
    ['an output histogram of another width', (s: DriftSketch) => s.output.bins.push(0)],
    ['a window that ends before it starts', (s: DriftSketch) => (s.windowEndMs = s.windowStartMs - 1)],
  ])('rejects %s as SKETCH_INVALID', (_name, corrupt) => {
    const s = sketchOf(profile, reference.slice(0, 20));
    corrupt(s);
    expect(codeOf(() => validateSketch(s, profile))).toBe('SKETCH_INVALID');
  });
});
