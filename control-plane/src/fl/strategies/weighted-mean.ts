/**
 * The FedAvg core (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized
 * Data", Alg. 1): the sample-weighted mean of the client deltas, Σ_k (n_k / n) · Δ_k. Accumulates in Float64
 * (a float32 running sum over 1,000 clients loses ~3 significant digits) and walks coordinates in blocks so
 * the accumulator block stays in L1 while each update is streamed once. Secure aggregation yields the same
 * quantity (`unmaskAggregate`), so the server rules take it either way.
 */
import { assertAggregatable, type ClientUpdate } from './client-update.js';

const BLOCK = 4096;

export function weightedMeanDelta(updates: readonly ClientUpdate[]): Float32Array {
  const length = updates[0]?.delta.length ?? 0;
  assertAggregatable(updates, length);
  let total = 0;
  for (const update of updates) total += update.sampleCount;
  const weights = updates.map((update) => update.sampleCount / total);
  const deltas = updates.map((update) => update.delta);
  const out = new Float32Array(length);
  const accumulator = new Float64Array(BLOCK);
  for (let start = 0; start < length; start += BLOCK) {
    const width = Math.min(BLOCK, length - start);
    accumulator.fill(0);
    for (let k = 0; k < deltas.length; k++) {
      const delta = deltas[k] as Float32Array;
      const w = weights[k] as number;
      for (let j = 0; j < width; j++) accumulator[j]! += w * (delta[start + j] as number);
    }
    for (let j = 0; j < width; j++) out[start + j] = accumulator[j] as number;
  }
  return out;
}
