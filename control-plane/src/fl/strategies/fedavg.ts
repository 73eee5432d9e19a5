/**
 * FedAvg (McMahan et al. 2017, Alg. 1): w_{t+1} = w_t + Σ_k (n_k / n) Δ_k. FedProx (Li et al. 2020,
 * "Federated Optimization in Heterogeneous Networks") keeps exactly this server rule: its proximal term
 * μ/2 · ‖w − w_t‖² is part of each CLIENT's local objective (the coordinator ships μ in the round task), so
 * on the server the two differ only in name.
 */
import { ControlPlaneError } from '../../errors.js';
import type { AggregationStrategy } from './aggregation-strategy.js';
import { assertAggregatable } from './client-update.js';
import { weightedMeanDelta } from './weighted-mean.js';

/** global + meanDelta in Float64, rounded once to float32. */
export function addDelta(global: Float32Array, meanDelta: Float32Array): Float32Array {
  if (meanDelta.length !== global.length) {
    throw new ControlPlaneError('FL_UPDATE_INVALID', 'aggregated delta and global weights differ in length', {
      details: { length: meanDelta.length, expected: global.length },
    });
  }
  const out = new Float32Array(global.length);
  for (let i = 0; i < out.length; i++) out[i] = (global[i] as number) + (meanDelta[i] as number);
  return out;
}

export function createFedAvg(name: 'fedavg' | 'fedprox'): AggregationStrategy {
  return {
    name,
    supportsSecureAggregation: true,
    aggregate(global, updates) {
      assertAggregatable(updates, global.length);
      return addDelta(global, weightedMeanDelta(updates));
    },
    applyMeanDelta: addDelta,
    state: () => null,
  };
}
