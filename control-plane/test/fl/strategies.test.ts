import { randomUpdates } from '@edgefleet/test-kit/fl-updates';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientUpdate,
  ControlPlaneError,
  createStrategy,
  STRATEGY_NAMES,
  type StrategyConfig,
  weightedMeanDelta,
} from '../../src/index.js';

const code = (value: string) => expect.objectContaining({ code: value });

function update(deviceId: string, values: readonly number[], sampleCount = 1): ClientUpdate {
  return { deviceId, delta: Float32Array.from(values), sampleCount };
}

// −0 + 0 = +0: a mean of signed zeros is +0, which is not what this file is about.
const finite = fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }).map((v) => v + 0);

describe('FedAvg and FedProx (McMahan et al. 2017, Alg. 1)', () => {
  it('adds the sample-weighted mean delta to the global weights', () => {
    const global = Float32Array.from([1, 2, 3]);
    const updates = [update('a', [1, 0, -1], 1), update('b', [4, 3, 2], 2)];
    // (1·[1,0,−1] + 2·[4,3,2]) / 3 = [3, 2, 1]
    expect([...weightedMeanDelta(updates)]).toEqual([3, 2, 1]);
    for (const name of ['fedavg', 'fedprox'] as const) {
      expect([...createStrategy({ name }).aggregate(global, updates)]).toEqual([4, 4, 4]);
    }
  });

  it('returns exactly the update itself when every client sent the same delta, whatever the sample counts', () => {
    // Float64 accumulation: Σ (n_k/n)·v = v·(1 ± a few 1e-16), which rounds back to v in float32.
    const counts = fc.array(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.array(finite, { minLength: 1, maxLength: 16 }), counts, (delta, sampleCounts) => {
        const mean = weightedMeanDelta(sampleCounts.map((n, i) => update(`d${i}`, delta, n)));
        expect([...mean]).toEqual([...Float32Array.from(delta)]);
      }),
    );
    const many = randomUpdates({ count: 1000, length: 8, seed: 5, mean: 1e-4, stdDev: 0 });
    expect([...weightedMeanDelta(many)]).toEqual(new Array(8).fill(Math.fround(1e-4)));
  });

  it('does not depend on the order the updates arrived in', () => {
    const row = fc.tuple(fc.array(finite, { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: 1000 }));
    const rowsAndPermutation = fc
      .array(row, { minLength: 1, maxLength: 10 })
      .chain((rows) =>
        fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length })),
      );
    fc.assert(
      fc.property(rowsAndPermutation, ([rows, permuted]) => {
        const a = weightedMeanDelta(rows.map(([delta, n], i) => update(`d${i}`, delta, n)));
        const b = weightedMeanDelta(permuted.map(([delta, n], i) => update(`p${i}`, delta, n)));
        for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i]!, 4);
      }),
    );
  });
});

describe('FedAdam (Reddi et al. 2021, Alg. 2)', () => {
  const config: StrategyConfig = { name: 'fedadam', serverLr: 0.1, beta1: 0.9, beta2: 0.99, tau: 1e-3 };

  it('takes the hand-computed first step from m = 0, v = τ²', () => {
    const strategy = createStrategy(config);
    expect(strategy.state()).toBeNull();
    const out = strategy.aggregate(Float32Array.from([0.5]), [update('a', [0.2])]);
    // m = 0.1·0.2 = 0.02; v = 0.99·1e-6 + 0.01·0.04 = 4.0099e-4; x = 0.5 + 0.1·0.02 / (√v + 1e-3)
    const expected = 0.5 + (0.1 * 0.02) / (Math.sqrt(0.99e-6 + 0.01 * 0.04) + 1e-3);
    expect(out[0]).toBeCloseTo(expected, 6);
  });

  it('resumes from its saved state exactly as if it had never stopped', () => {
    const rounds = [0, 1, 2, 3].map((r) => randomUpdates({ count: 5, length: 64, seed: 10 + r }));
    let global: Float32Array = new Float32Array(64);
    const continuous = createStrategy(config);
    for (const updates of rounds) global = continuous.aggregate(global, updates);

    let resumedGlobal: Float32Array = new Float32Array(64);
    let saved: Uint8Array | null = null;
    for (const updates of rounds) {
      const strategy = createStrategy(config, saved);
      resumedGlobal = strategy.aggregate(resumedGlobal, updates);
      saved = strategy.state();
    }
    expect([...resumedGlobal]).toEqual([...global]);
  });

  it('refuses a corrupt, truncated or foreign saved state, and state for a stateless rule', () => {
    const strategy = createStrategy(config);
    strategy.aggregate(new Float32Array(4), [update('a', [1, 2, 3, 4])]);
    const state = strategy.state()!;
    const nan = state.slice();
    new DataView(nan.buffer).setFloat32(16, Number.NaN, true);
    for (const bad of [state.subarray(0, state.length - 4), nan, new Uint8Array(16)]) {
      expect(() => createStrategy(config, bad)).toThrow(code('FL_CONFIG_INVALID'));
    }
    expect(() => createStrategy(config, state).aggregate(new Float32Array(5), [update('a', [1, 2, 3, 4, 5])])).toThrow(
      code('FL_CONFIG_INVALID'),
    );
    expect(() => createStrategy({ name: 'fedavg' }, state)).toThrow(code('FL_CONFIG_INVALID'));
  });
});

describe('strategy configuration and the secure-aggregation path', () => {
  it('rejects out-of-range hyperparameters and unknown strategies with FL_CONFIG_INVALID', () => {
    const bad = [
      { name: 'trimmed-mean', trimFraction: 0.5 },
      { name: 'fedadam', beta1: 1 },
      { name: 'fedadam', serverLr: 0 },
      { name: 'fedprox', mu: -1 },
      { name: 'krum' },
      { name: 'fedavg', learningRate: 1 },
    ];
    for (const config of bad) {
      expect(() => createStrategy(config as StrategyConfig)).toThrow(ControlPlaneError);
      expect(() => createStrategy(config as StrategyConfig)).toThrow(code('FL_CONFIG_INVALID'));
    }
  });

  it('applies an already-averaged delta (what unmasking yields) exactly like aggregate for mean-based rules', () => {
    const updates = randomUpdates({ count: 7, length: 32, seed: 3 });
    const global = randomUpdates({ count: 1, length: 32, seed: 4, stdDev: 1 })[0]!.delta;
    for (const name of ['fedavg', 'fedprox', 'fedadam'] as const) {
      const viaUpdates = createStrategy({ name }).aggregate(global, updates);
      const strategy = createStrategy({ name });
      expect(strategy.supportsSecureAggregation).toBe(true);
      expect([...strategy.applyMeanDelta(global, weightedMeanDelta(updates))]).toEqual([...viaUpdates]);
    }
    for (const name of ['median', 'trimmed-mean'] as const) {
      const strategy = createStrategy({ name });
      expect(strategy.supportsSecureAggregation).toBe(false);
      expect(() => strategy.applyMeanDelta(global, weightedMeanDelta(updates))).toThrow(code('FL_CONFIG_INVALID'));
    }
  });

  it('refuses an empty round and updates of the wrong length for every strategy', () => {
    for (const name of STRATEGY_NAMES) {
      const strategy = createStrategy({ name });
      expect(() => strategy.aggregate(new Float32Array(3), [])).toThrow(code('FL_NO_UPDATES'));
      expect(() => strategy.aggregate(new Float32Array(3), [update('a', [1, 2, 3]), update('b', [1, 2])])).toThrow(
        code('FL_UPDATE_INVALID'),
      );
    }
  });
});
