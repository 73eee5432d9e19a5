/** Seeded sample streams for the detector tests: mulberry32 (the fixtures' PRNG) and Box–Muller. */
import { mulberry32 } from '@edgefleet/test-kit/models';

export const seededRandom = mulberry32;

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
