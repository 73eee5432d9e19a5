/**
 * FedAdam, the server-optimizer FedOpt variant of Reddi et al. 2021, "Adaptive Federated Optimization",
 * Alg. 2: the averaged client delta Δ_t is treated as a pseudo-gradient and
 *   m_t = β1·m_{t−1} + (1 − β1)·Δ_t,   v_t = β2·v_{t−1} + (1 − β2)·Δ_t²,   x_{t+1} = x_t + η·m_t / (√v_t + τ)
 * with m_{−1} = 0 and v_{−1} = τ² (the paper's v_{−1} ≥ τ²) and, as in the paper, no bias correction.
 * Δ_t is the sample-weighted mean (McMahan's weighting, as in our FedAvg) where Alg. 2 writes the plain mean
 * over the selected clients; with equal sample counts they coincide. m and v persist across rounds via
 * `state()` / `createStrategy(config, savedState)`.
 */
import { ControlPlaneError } from '../../errors.js';
import type { AggregationStrategy } from './aggregation-strategy.js';
import { assertAggregatable } from './client-update.js';
import { decodeFedAdamState, encodeFedAdamState, type FedAdamMoments } from './fedadam-state.js';
import type { ResolvedStrategyConfig } from './strategy-config.js';
import { weightedMeanDelta } from './weighted-mean.js';

export function createFedAdam(config: ResolvedStrategyConfig, savedState?: Uint8Array | null): AggregationStrategy {
  const { serverLr, beta1, beta2, tau } = config;
  let moments: FedAdamMoments | null = savedState ? decodeFedAdamState(savedState) : null;

  function step(global: Float32Array, delta: Float32Array): Float32Array {
    if (delta.length !== global.length) {
      throw new ControlPlaneError('FL_UPDATE_INVALID', 'aggregated delta and global weights differ in length');
    }
    if (moments === null) {
      moments = { rounds: 0, m: new Float32Array(global.length), v: new Float32Array(global.length).fill(tau * tau) };
    }
    if (moments.m.length !== global.length) {
      throw new ControlPlaneError('FL_CONFIG_INVALID', 'saved FedAdam state is for a model of another size', {
        details: { stateLength: moments.m.length, modelLength: global.length },
      });
    }
    const { m, v } = moments;
    const out = new Float32Array(global.length);
    for (let i = 0; i < out.length; i++) {
      const d = delta[i] as number;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * d;
      const vi = beta2 * (v[i] as number) + (1 - beta2) * d * d;
      m[i] = mi;
      v[i] = vi;
      out[i] = (global[i] as number) + (serverLr * mi) / (Math.sqrt(vi) + tau);
    }
    moments = { rounds: moments.rounds + 1, m, v };
    return out;
  }

  return {
    name: 'fedadam',
    supportsSecureAggregation: true,
    aggregate(global, updates) {
      assertAggregatable(updates, global.length);
      return step(global, weightedMeanDelta(updates));
    },
    applyMeanDelta: step,
    state: () => (moments === null ? null : encodeFedAdamState(moments)),
  };
}
