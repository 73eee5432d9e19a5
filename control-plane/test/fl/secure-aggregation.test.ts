import { maxSafeScaleBits, unmaskAggregate } from '@edgefleet/protocol';
import { randomUpdates, secAggRound } from '@edgefleet/test-kit/fl-updates';
import { describe, expect, it } from 'vitest';
import { createStrategy, weightedMeanDelta } from '../../src/index.js';

const LENGTH = 5000;
// 20 clients × ≤ 100 samples, deltas clamped to ±1 (FIXED_POINT_DEFAULTS): the largest overflow-safe scale.
const SCALE_BITS = maxSafeScaleBits({ maxTotalSamples: 20 * 100 });
const updates = randomUpdates({ count: 20, length: LENGTH, seed: 42, stdDev: 0.05 });

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

describe('secure aggregation against plain aggregation', () => {
  it('gives the same weighted-mean delta as weightedMeanDelta for 20 clients', () => {
    const { unmask } = secAggRound({ roundId: 'r1', updates, scaleBits: SCALE_BITS });
    // Quantum 2^-SCALE_BITS per client update, divided by Σ n ≥ 200: well below float32 resolution of 0.05.
    expect(maxAbsDiff(unmaskAggregate(unmask), weightedMeanDelta(updates))).toBeLessThan(1e-6);
  });

  it('gives the survivors’ weighted mean when 30 % of clients drop after masking (recovery)', () => {
    const droppedIds = new Set(['dev-0002', 'dev-0005', 'dev-0009', 'dev-0011', 'dev-0017', 'dev-0019']);
    const { unmask } = secAggRound({ roundId: 'r2', updates, droppedIds, scaleBits: SCALE_BITS });
    expect(unmask.masked.size).toBe(14);
    expect(unmask.revealed).toHaveLength(14 * 6);
    const survivors = updates.filter((u) => !droppedIds.has(u.deviceId));
    expect(maxAbsDiff(unmaskAggregate(unmask), weightedMeanDelta(survivors))).toBeLessThan(1e-6);
    // Without the recovery step the dropped clients' masks stay in the sum: garbage, refused by code.
    expect(() => unmaskAggregate({ ...unmask, revealed: [] })).toThrow(
      expect.objectContaining({ code: 'FL_SECAGG_INVALID' }),
    );
  });

  it('drives FedAvg and FedAdam to the same new global weights as aggregating the plain updates', () => {
    const droppedIds = new Set(['dev-0000', 'dev-0001', 'dev-0002', 'dev-0003', 'dev-0004', 'dev-0005']);
    const { unmask } = secAggRound({ roundId: 'r3', updates, droppedIds, scaleBits: SCALE_BITS });
    const survivors = updates.filter((u) => !droppedIds.has(u.deviceId));
    const global = randomUpdates({ count: 1, length: LENGTH, seed: 43, stdDev: 1 })[0]!.delta;
    for (const name of ['fedavg', 'fedadam'] as const) {
      const secure = createStrategy({ name }).applyMeanDelta(global, unmaskAggregate(unmask));
      const plain = createStrategy({ name }).aggregate(global, survivors);
      expect(maxAbsDiff(secure, plain)).toBeLessThan(1e-6);
    }
  });
});
