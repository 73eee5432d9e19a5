/**
 * How a value falls into a drift bin — the one rule the agent (counting) and the control plane (reference
 * profile, comparison) must share exactly. Numeric features use the reference's decile edges e0..e10:
 * bin 0 is the underflow (x < e0), bins 1..10 the deciles, bin 11 the overflow (x > e10). Inner edges are
 * upper-bound searched, so repeated edges (discrete features) stay well-defined. Categorical features map a
 * code to its position among the reference's top-K categories, or to "other" (index K).
 */

/** e0 (min), the 9 inner deciles, e10 (max). */
export const NUMERIC_EDGE_COUNT = 11;
/** underflow + 10 deciles + overflow. */
export const NUMERIC_BIN_COUNT = NUMERIC_EDGE_COUNT + 1;

export function numericBin(edges: ArrayLike<number>, x: number): number {
  const last = edges.length - 1;
  if (x < (edges[0] as number)) return 0;
  if (x > (edges[last] as number)) return last + 1;
  // first inner edge index in [1, last) whose edge is > x; that index is the bin number
  let lo = 1;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function categoricalBin(categories: readonly number[], x: number): number {
  const index = categories.indexOf(x);
  return index < 0 ? categories.length : index;
}

/** Linear-interpolation quantile of sorted values (Hyndman & Fan type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const lower = sorted[below] as number;
  return lower + ((sorted[above] as number) - lower) * (position - below);
}
