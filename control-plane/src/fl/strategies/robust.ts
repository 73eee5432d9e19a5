/**
 * Byzantine-robust rules (Yin et al. 2018): the coordinate-wise median and the coordinate-wise β-trimmed mean
 * of the client deltas, added to the global weights. Both are UNWEIGHTED on purpose: the sample count is
 * self-reported, so weighting by it would let a single poisoner claim a huge count and own the aggregate —
 * the robustness would be gone. With a minority of f < K/2 arbitrary updates the median stays inside the
 * honest values' range per coordinate; the trimmed mean does when f ≤ trim count. Neither can run on a
 * securely aggregated round (the server never sees individual updates).
 */
import { ControlPlaneError } from '../../errors.js';
import type { AggregationStrategy } from './aggregation-strategy.js';
import { assertAggregatable, type ClientUpdate } from './client-update.js';
import { type ColumnReducer, coordinateWise, medianOf, trimmedMeanOf } from './coordinate-select.js';
import { addDelta } from './fedavg.js';

function robustStrategy(
  name: 'median' | 'trimmed-mean',
  reducerFor: (count: number) => ColumnReducer,
): AggregationStrategy {
  return {
    name,
    supportsSecureAggregation: false,
    aggregate(global: Float32Array, updates: readonly ClientUpdate[]) {
      assertAggregatable(updates, global.length);
      const deltas = updates.map((update) => update.delta);
      return addDelta(global, coordinateWise(deltas, global.length, reducerFor(updates.length)));
    },
    applyMeanDelta() {
      throw new ControlPlaneError(
        'FL_CONFIG_INVALID',
        `${name} needs the individual updates; it cannot run on a securely aggregated round`,
      );
    },
    state: () => null,
  };
}

export function createMedian(): AggregationStrategy {
  return robustStrategy('median', () => medianOf);
}

/** Drops floor(trimFraction · K) values at each end of every coordinate. */
export function createTrimmedMean(trimFraction: number): AggregationStrategy {
  return robustStrategy('trimmed-mean', (count) => trimmedMeanOf(Math.floor(trimFraction * count)));
}
