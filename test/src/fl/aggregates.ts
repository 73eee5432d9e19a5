/**
 * PLACEHOLDER aggregation rules for the in-process FL experiments, behind the one `Aggregate` signature the
 * control plane's strategies plug into: the sample-weighted mean of deltas (FedAvg, McMahan et al. 2017
 * Alg. 1), the coordinate-wise median and the coordinate-wise β-trimmed mean (Yin et al. 2018). Each returns
 * the NEW global weights, so server-side rules with state or a server learning rate fit the same slot. They
 * are deliberately tiny; the control plane's implementations replace them at merge.
 */

export interface ClientUpdate {
  readonly deviceId: string;
  /** Locally trained weights minus the round's global weights. */
  readonly delta: Float32Array;
  readonly sampleCount: number;
}

export type Aggregate = (global: Float32Array, updates: readonly ClientUpdate[]) => Float32Array;

export const weightedMeanAggregate: Aggregate = (global, updates) => {
  const total = updates.reduce((sum, u) => sum + u.sampleCount, 0);
  const next = Float32Array.from(global);
  for (const update of updates) {
    const weight = update.sampleCount / total;
    for (let i = 0; i < next.length; i++) next[i] = (next[i] as number) + weight * (update.delta[i] as number);
  }
  return next;
};

/** Per coordinate: sort the clients' values, drop `trim` from each end, average the rest. */
function coordinateWise(global: Float32Array, updates: readonly ClientUpdate[], trim: number): Float32Array {
  const next = Float32Array.from(global);
  const column = new Float32Array(updates.length);
  const kept = updates.length - 2 * trim;
  for (let i = 0; i < next.length; i++) {
    updates.forEach((u, k) => {
      column[k] = u.delta[i] as number;
    });
    column.sort();
    let sum = 0;
    for (let k = trim; k < trim + kept; k++) sum += column[k] as number;
    next[i] = (next[i] as number) + sum / kept;
  }
  return next;
}

/** The median is the trimmed mean that keeps the middle one (odd count) or two (even count). */
export const coordinateMedianAggregate: Aggregate = (global, updates) =>
  coordinateWise(global, updates, Math.floor((updates.length - 1) / 2));

export function trimmedMeanAggregate(beta: number): Aggregate {
  if (!(beta >= 0 && beta < 0.5)) throw new RangeError(`beta must be in [0, 0.5), got ${beta}`);
  return (global, updates) => coordinateWise(global, updates, Math.floor(beta * updates.length));
}
