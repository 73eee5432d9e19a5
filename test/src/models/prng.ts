/**
 * The one seeded pseudo-random source for the iris model generator. Everything random in the generator (data
 * split, weight init) flows through here so that a seed fully determines the output bytes; Math.random is never
 * used. mulberry32 is tiny, fast and good enough for shuffling 150 rows and drawing a few hundred weights.
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
