/** Seeded sample streams for the detector tests: mulberry32 (a public-domain 32-bit PRNG) and Box–Muller. */

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export function gaussian(random: () => number, mean: number, sd: number): number {
  const u = 1 - random();
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** `length` samples of N(mean, sd²). */
export function normalStream(random: () => number, length: number, mean: number, sd: number): number[] {
  return Array.from({ length }, () => gaussian(random, mean, sd));
}

export function bernoulliStream(random: () => number, length: number, p: number): number[] {
  return Array.from({ length }, () => (random() < p ? 1 : 0));
}
