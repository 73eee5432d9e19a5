/**
 * The one seeded pseudo-random source of edgefleet: model fixtures (data splits, weight init), the device's
 * trainer (minibatch shuffling, Glorot init) and federated client selection all draw from it, so a seed fully
 * determines their output and Math.random is never used where a run must be reproducible. mulberry32 is tiny,
 * fast and good enough for shuffling and weight init; it is NOT a cryptographic source (secure-aggregation
 * masks and DP noise must not use it).
 */

export type Rng = () => number;

/** Returns a generator of floats in [0, 1) fully determined by the 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle into a new array, leaving the input untouched. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
