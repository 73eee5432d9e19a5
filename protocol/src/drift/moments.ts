/**
 * Streaming mean and variance. On the device: Welford's update (Welford 1962), one pass, numerically stable.
 * Across devices and windows: Chan, Golub & LeVeque's pairwise combination (1979), so merged moments equal
 * those of the concatenated data up to floating-point rounding. `m2` is the sum of squared deviations;
 * variance = m2 / n (population) — drift compares distributions, not sample estimates.
 */
import { z } from 'zod';

export const momentsSchema = z.object({
  n: z.int().nonnegative(),
  mean: z.number(),
  m2: z.number().nonnegative(),
});

export type Moments = z.infer<typeof momentsSchema>;

export const EMPTY_MOMENTS: Moments = Object.freeze({ n: 0, mean: 0, m2: 0 });

export function mergeMoments(a: Moments, b: Moments): Moments {
  if (a.n === 0) return { ...b };
  if (b.n === 0) return { ...a };
  const n = a.n + b.n;
  const delta = b.mean - a.mean;
  return { n, mean: a.mean + (delta * b.n) / n, m2: a.m2 + b.m2 + (delta * delta * a.n * b.n) / n };
}

export function varianceOf(m: Moments): number {
  return m.n === 0 ? 0 : m.m2 / m.n;
}
