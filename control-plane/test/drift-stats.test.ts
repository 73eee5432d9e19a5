/**
 * The drift statistics against values derived by hand (see the comments) and cross-checked against
 * independent formulations: PSI as the symmetrised Kullback–Leibler divergence, JSD as the entropy of the
 * mixture minus the mean entropy. Then the policy: Bonferroni-corrected KS, levels and the minimum rows.
 */
import { buildReferenceProfile, type DriftSketch, type ReferenceProfile, SketchAccumulator } from '@edgefleet/protocol';
import { describe, expect, it } from 'vitest';
import { binnedKs, compareToProfile, jsDistance, kolmogorovSurvival, psi, resolveDriftConfig } from '../src/index.js';

const normalise = (counts: number[]) => counts.map((c) => c / counts.reduce((a, b) => a + b, 0));
const kl = (p: number[], q: number[], log: (x: number) => number) =>
  p.reduce((sum, pi, i) => (pi === 0 ? sum : sum + pi * log(pi / q[i]!)), 0);
const entropy = (p: number[]) => -p.reduce((sum, x) => (x === 0 ? sum : sum + x * Math.log(x)), 0);

describe('PSI', () => {
  it('equals 0.3·ln 4 for reference [50, 50] against current [80, 20]', () => {
    // (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5) = 0.3·(ln 1.6 − ln 0.4) = 0.3·ln 4 ≈ 0.41589
    expect(psi([50, 50], [80, 20])).toBeCloseTo(0.3 * Math.log(4), 12);
  });

  it('is the symmetrised KL divergence KL(c‖r) + KL(r‖c) when no bin is empty', () => {
    const reference = [12, 30, 41, 9, 8];
    const current = [5, 22, 40, 20, 13];
    const [r, c] = [normalise(reference), normalise(current)];
    expect(psi(reference, current)).toBeCloseTo(kl(c, r, Math.log) + kl(r, c, Math.log), 12);
  });

  it('replaces an empty bin proportion by ε = 1e-4 (Evidently) without renormalising', () => {
    // r = [1, ε], c = [0.5, 0.5]: (0.5 − 1)·ln(0.5) + (0.5 − 1e-4)·ln(0.5 / 1e-4)
    const expected = -0.5 * Math.log(0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    expect(psi([10, 0], [5, 5])).toBeCloseTo(expected, 12);
    expect(psi([10, 0], [5, 5], 1e-3)).toBeCloseTo(-0.5 * Math.log(0.5) + (0.5 - 1e-3) * Math.log(0.5 / 1e-3), 12);
  });

  it('is zero for proportional histograms and refuses mismatched or empty ones', () => {
    expect(psi([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 15);
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => psi([1, 2], [0, 0])).toThrow(RangeError);
  });
});

describe('Jensen–Shannon distance (natural log, as scipy / Evidently)', () => {
  it('is √0.21576 ≈ 0.46450 for [0.5, 0.5] against [1, 0]', () => {
    // M = [0.75, 0.25]; KL(P‖M) = 0.5·ln(0.5/0.75) + 0.5·ln(0.5/0.25) = 0.14384;
    // KL(Q‖M) = ln(1/0.75) = 0.28768; JSD = (0.14384 + 0.28768)/2 = 0.21576; distance = √JSD.
    const jsd = 0.5 * (0.5 * Math.log(0.5 / 0.75) + 0.5 * Math.log(2)) + 0.5 * Math.log(1 / 0.75);
    expect(jsd).toBeCloseTo(0.21576, 5);
    expect(jsDistance([5, 5], [7, 0])).toBeCloseTo(Math.sqrt(jsd), 12);
  });

  it('is √ln 2 for disjoint histograms and 0 for identical ones', () => {
    expect(jsDistance([3, 0], [0, 4])).toBeCloseTo(Math.sqrt(Math.LN2), 12);
    expect(jsDistance([2, 5, 1], [4, 10, 2])).toBeCloseTo(0, 7);
  });

  it('matches the entropy form √(H(M) − (H(P) + H(Q))/2) on small arrays', () => {
    const reference = [0, 3, 9, 4, 1];
    const current = [2, 2, 5, 8, 0];
    const [p, q] = [normalise(reference), normalise(current)];
    const m = p.map((x, i) => (x + q[i]!) / 2);
    expect(jsDistance(reference, current)).toBeCloseTo(Math.sqrt(entropy(m) - (entropy(p) + entropy(q)) / 2), 12);
  });
});

describe('binned two-sample KS', () => {
  it('takes D at the bin boundaries and p from the Kolmogorov distribution at √(nm/(n+m))·D', () => {
    // One boundary: F_ref = 0.5, F_cur = 0.8 → D = 0.3; n = m = 100 → n_eff = 50; λ² = 50·0.09 = 4.5;
    // Q(λ) = 2·Σ (−1)^(j−1)·e^(−2j²λ²) = 2e^(−9) − 2e^(−36) + … ≈ 2.4682e-4.
    const ks = binnedKs([50, 50], [80, 20]);
    expect(ks.d).toBeCloseTo(0.3, 12);
    expect(ks.nEff).toBe(50);
    expect(ks.p).toBeCloseTo(2 * Math.exp(-9) - 2 * Math.exp(-36), 12);
  });

  it('uses the largest gap over all boundaries', () => {
    // CDFs at the 3 inner boundaries: ref 0.25, 0.5, 0.75; cur 0, 0, 0.5 → gaps 0.25, 0.5, 0.25.
    expect(binnedKs([1, 1, 1, 1], [0, 0, 2, 2]).d).toBeCloseTo(0.5, 12);
    expect(binnedKs([4, 4], [2, 2])).toMatchObject({ d: 0, p: 1 });
  });

  it('has the tabulated Kolmogorov tail on both sides of the series switch', () => {
    // Tables of the limiting distribution: P(K ≤ 0.5) = 0.036055, the 5 % point is 1.3581, P(K > 1) = 0.2699997.
    expect(kolmogorovSurvival(0.5)).toBeCloseTo(1 - 0.036055, 5);
    expect(kolmogorovSurvival(1)).toBeCloseTo(0.2699997, 6);
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovSurvival(1.17999)).toBeCloseTo(kolmogorovSurvival(1.18001), 4);
    expect(kolmogorovSurvival(0)).toBe(1);
  });
});

function uniformProfile(features: number): ReferenceProfile {
  const numeric = (i: number) => ({
    name: `f${i}`,
    kind: 'numeric' as const,
    edges: Array.from({ length: 11 }, (_, e) => e),
    counts: [0, ...new Array<number>(10).fill(100), 0],
    moments: { n: 1000, mean: 5, m2: 8333 },
  });
  return {
    sampleCount: 1000,
    features: Array.from({ length: features }, (_, i) => numeric(i)),
    output: { counts: [500, 500], confidence: { n: 1000, mean: 0.9, m2: 1 } },
  };
}

function sketch(profile: ReferenceProfile, firstFeatureBins: number[], count = 1000): DriftSketch {
  return {
    line: 'm',
    version: 1,
    windowStartMs: 0,
    windowEndMs: 60_000,
    count,
    features: profile.features.map((f, i) => ({
      bins: i === 0 ? firstFeatureBins : f.counts.map((c) => (c * count) / 1000),
      moments: { n: count, mean: 5, m2: 1 },
    })),
    output: { bins: [count / 2, count / 2], confidence: { n: count, mean: 0.9, m2: 1 } },
  };
}

describe('drift policy', () => {
  // 1000 rows each; ±16 rows per decile gives D = 0.064 at the 4th boundary, λ = √500·0.064 ≈ 1.431,
  // p ≈ 0.033: below α = 0.05, above the Bonferroni level 0.05/4 = 0.0125. PSI ≈ 0.021, JS small.
  const mildShift = [0, 84, 84, 84, 84, 100, 100, 116, 116, 116, 116, 0];

  it('corrects the KS level for the number of features (Bonferroni)', () => {
    const alone = compareToProfile(uniformProfile(1), sketch(uniformProfile(1), mildShift));
    const feature = alone.features[0]!;
    expect(feature.ksP).toBeGreaterThan(0.0125);
    expect(feature.ksP).toBeLessThan(0.05);
    expect(feature.psi).toBeLessThan(0.1);
    expect(feature.js).toBeLessThan(0.1);
    expect(feature.drifted).toBe(true);
    const four = compareToProfile(uniformProfile(4), sketch(uniformProfile(4), mildShift));
    expect(four.features.map((f) => f.drifted)).toEqual([false, false, false, false]);
    expect(four.level).toBe('ok');
  });

  it('warns when a feature drifts, alerts on PSI ≥ 0.25 or when half the features drift', () => {
    // 1 of 4 features at PSI ≈ 0.14 (between 0.1 and 0.25): warn, no dataset drift.
    const warn = compareToProfile(
      uniformProfile(4),
      sketch(uniformProfile(4), [0, 60, 60, 60, 60, 100, 100, 140, 140, 140, 140, 0]),
    );
    expect(warn.features[0]!.psi).toBeGreaterThanOrEqual(0.1);
    expect(warn.features[0]!.psi).toBeLessThan(0.25);
    expect(warn).toMatchObject({ level: 'warn', datasetDrift: false, driftedShare: 0.25 });
    // All mass in the overflow bin: PSI far above 0.25.
    const alert = compareToProfile(
      uniformProfile(4),
      sketch(uniformProfile(4), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000]),
    );
    expect(alert.level).toBe('alert');
    // The same one-in-four drift is dataset drift when the share threshold is 25 %, but one drifted feature
    // alone stays a warning unless its own PSI is in the alert band; two drifted features alert.
    const strict = resolveDriftConfig({ datasetDriftShare: 0.25 });
    const moved = [0, 60, 60, 60, 60, 100, 100, 140, 140, 140, 140, 0];
    expect(compareToProfile(uniformProfile(4), sketch(uniformProfile(4), mildShift), strict).level).toBe('ok');
    expect(compareToProfile(uniformProfile(4), sketch(uniformProfile(4), moved), strict)).toMatchObject({
      level: 'warn',
      datasetDrift: true,
    });
    const two = sketch(uniformProfile(4), moved);
    two.features[1] = { ...two.features[1]!, bins: moved };
    expect(compareToProfile(uniformProfile(4), two, strict)).toMatchObject({ level: 'alert', datasetDrift: true });
    expect(compareToProfile(uniformProfile(4), two)).toMatchObject({ level: 'alert', driftedShare: 0.5 });
  });

  it('lets a one-feature model reach warn: a drifted feature below the PSI alert band is not a dataset drift', () => {
    // KS-only drift (PSI ≈ 0.02): before, one of one feature was a 100 % "dataset drift" and jumped to alert.
    const mild = compareToProfile(uniformProfile(1), sketch(uniformProfile(1), mildShift));
    expect(mild).toMatchObject({ level: 'warn', datasetDrift: true, driftedShare: 1 });
    const moderate = sketch(uniformProfile(1), [0, 60, 60, 60, 60, 100, 100, 140, 140, 140, 140, 0]);
    expect(compareToProfile(uniformProfile(1), moderate).level).toBe('warn');
    const strong = sketch(uniformProfile(1), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000]);
    expect(compareToProfile(uniformProfile(1), strong).level).toBe('alert');
  });

  it("compares data beyond the reference's range with what the reference size can tell, not with ε", () => {
    // Reference 0..999: nothing below 0 or above 999, so both tails are empty. Live: half in range, half far
    // above the maximum. The upper tail counts half a reference row, so PSI is the same for any ε.
    const values = Array.from({ length: 1000 }, (_, i) => i);
    const profile = buildReferenceProfile({ rows: values.map((v) => [v]), outputs: values.map(() => [1, 0]) });
    expect(profile.features[0]!.counts.at(-1)).toBe(0);
    const sketchOf = (rows: number[]) => {
      const live = new SketchAccumulator(profile);
      live.addRows(
        rows,
        rows.flatMap(() => [1, 0]),
        rows.length,
      );
      return live.snapshot({ line: 'm', version: 1, windowStartMs: 0, windowEndMs: 1 });
    };
    const sketch = sketchOf(Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? i : 5000 + i)));
    const at = (psiEpsilon: number) =>
      compareToProfile(profile, sketch, resolveDriftConfig({ psiEpsilon })).features[0]!;
    // upper tail: r = 0.5 / 1000.5, c = 0.5 → (0.5 − r)·ln(0.5 / r) ≈ 3.45; ten deciles at half their share
    // add 10 · 0.05 · ln 2 ≈ 0.35. With ε = 1e-4 in the tail it was ≈ 4.3 + 0.35, with ε = 1e-8 ≈ 8.9 + 0.35.
    const r = 0.5 / 1000.5;
    const deciles = profile.features[0]!.counts.slice(1, -1).map((c) => c / 1000.5);
    const expected =
      (0.5 - r) * Math.log(0.5 / r) +
      deciles.reduce((sum, p, i) => {
        const c = sketch.features[0]!.bins[i + 1]! / 1000;
        return sum + (c - p) * Math.log(c / p);
      }, 0);
    expect(at(1e-4).psi).toBeCloseTo(expected, 9);
    expect(at(1e-4).psi).toBeCloseTo(3.8, 1);
    expect(at(1e-8).psi).toBe(at(1e-4).psi);
    // Identical data still compares at exactly 0: the half row applies only where live rows fall.
    expect(compareToProfile(profile, sketchOf(values)).features[0]!.psi).toBe(0);
  });

  it('sets the level from input features; output summaries are reported beside them', () => {
    const profile = {
      ...uniformProfile(2),
      driftFeatures: {
        inputs: [{ input: 'x', summary: 'rms' as const }],
        output: { name: 'probs', summaries: ['confidence' as const] },
      },
    };
    // Only the output summary (the last feature) moved: reported as drifted, the level stays ok.
    const outputOnly = sketch(profile, profile.features[0]!.counts);
    outputOnly.features[1] = { ...outputOnly.features[1]!, bins: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1000] };
    const drift = compareToProfile(profile, outputOnly);
    expect(drift.features.map((f) => [f.source, f.drifted])).toEqual([
      ['input', false],
      ['output', true],
    ]);
    expect(drift).toMatchObject({ level: 'ok', driftedShare: 0 });
  });

  it('does not judge a window with fewer rows than minRows', () => {
    const small = sketch(uniformProfile(2), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40], 40);
    expect(compareToProfile(uniformProfile(2), small).level).toBe('insufficient');
    expect(compareToProfile(uniformProfile(2), small, resolveDriftConfig({ minRows: 10 })).level).toBe('alert');
  });

  it('refuses an out-of-range configuration', () => {
    expect(() => resolveDriftConfig({ ksAlpha: 1.5 })).toThrow(/ksAlpha/);
    expect(() => resolveDriftConfig({ psiWarn: 0.3, psiAlert: 0.2 })).toThrow(/psiAlert/);
  });
});
