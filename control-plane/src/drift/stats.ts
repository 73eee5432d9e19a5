/**
 * Distances between a reference histogram and a current one over the same bins — the three statistics the
 * fleet drift check reports per feature. Inputs are raw counts (any non-negative numbers); each function
 * normalises them itself, so merged device windows and the manifest's reference counts can be passed as is.
 *  - PSI (population stability index): Σ (cᵢ − rᵢ)·ln(cᵢ / rᵢ) over proportions. An empty bin makes the log
 *    infinite, so empty proportions are replaced by ε = 1e-4 before the sum, without renormalising — the
 *    same smoothing Evidently uses (`np.where(p == 0, 0.0001, p)` in its psi stattest).
 *  - Jensen–Shannon distance: √JSD with natural logs (Lin 1991), exactly what Evidently's default JS test
 *    computes (scipy.spatial.distance.jensenshannon, default base e), so its 0.1 threshold means the same
 *    here; it lies in [0, √ln 2 ≈ 0.833] and needs no smoothing (0·log 0 = 0). Base 2 would inflate every
 *    distance by 1/√ln 2 ≈ 1.2 and turn sampling noise into drift (measured: bench-results/drift.json).
 *  - Binned two-sample Kolmogorov–Smirnov: D = max over bin boundaries of |F_ref − F_cur| (the bins are
 *    ordered, so the empirical CDFs are only known there), p from the asymptotic Kolmogorov distribution at
 *    λ = √n_eff · D with n_eff = n·m / (n + m) (Smirnov 1939; scipy.stats.ks_2samp method='asymp').
 */

export const STATS_DEFAULTS = Object.freeze({ psiEpsilon: 1e-4 });

export interface KsResult {
  /** Largest absolute CDF difference over the bin boundaries, in [0, 1]. */
  readonly d: number;
  /** Asymptotic p-value of D under "same distribution". */
  readonly p: number;
  /** n·m / (n + m). */
  readonly nEff: number;
}

function total(counts: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) sum += counts[i] as number;
  return sum;
}

function assertComparable(reference: ArrayLike<number>, current: ArrayLike<number>): void {
  if (reference.length !== current.length || reference.length === 0) {
    throw new RangeError(
      `histograms need the same, non-zero number of bins (${reference.length} vs ${current.length})`,
    );
  }
}

export function psi(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  epsilon: number = STATS_DEFAULTS.psiEpsilon,
): number {
  assertComparable(reference, current);
  const refTotal = total(reference);
  const curTotal = total(current);
  if (refTotal === 0 || curTotal === 0) throw new RangeError('PSI of an empty histogram is undefined');
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = (reference[i] as number) / refTotal || epsilon;
    const c = (current[i] as number) / curTotal || epsilon;
    sum += (c - r) * Math.log(c / r);
  }
  return sum;
}

export function jsDistance(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  assertComparable(reference, current);
  const refTotal = total(reference);
  const curTotal = total(current);
  if (refTotal === 0 || curTotal === 0) throw new RangeError('JS distance of an empty histogram is undefined');
  let divergence = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = (reference[i] as number) / refTotal;
    const q = (current[i] as number) / curTotal;
    const m = (p + q) / 2;
    if (p > 0) divergence += 0.5 * p * Math.log(p / m);
    if (q > 0) divergence += 0.5 * q * Math.log(q / m);
  }
  // Rounding can leave a tiny negative (identical inputs) or a value a hair above ln 2 (disjoint inputs).
  return Math.sqrt(Math.min(Math.LN2, Math.max(0, divergence)));
}

/**
 * Survival function of the Kolmogorov distribution, Q(λ) = P(K > λ). Two series, each fast where the other
 * is slow (Numerical Recipes 3rd ed. §6.14): for λ ≥ 1.18, Q = 2 Σ (−1)^(j−1) e^(−2j²λ²); below, the
 * theta-function form P = √(2π)/λ Σ e^(−(2j−1)²π²/(8λ²)), Q = 1 − P.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1.18) {
    const y = Math.exp((-Math.PI * Math.PI) / (8 * lambda * lambda));
    const y8 = y ** 8;
    const series = y * (1 + y8 * (1 + y8 * y8 * (1 + y8 * y8 * y8)));
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * series));
  }
  let q = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    q += (j % 2 === 1 ? 2 : -2) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, q));
}

export function binnedKs(reference: ArrayLike<number>, current: ArrayLike<number>): KsResult {
  assertComparable(reference, current);
  const n = total(reference);
  const m = total(current);
  if (n === 0 || m === 0) throw new RangeError('KS of an empty histogram is undefined');
  let refCdf = 0;
  let curCdf = 0;
  let d = 0;
  // The last boundary (both CDFs = 1) never contributes.
  for (let i = 0; i < reference.length - 1; i++) {
    refCdf += (reference[i] as number) / n;
    curCdf += (current[i] as number) / m;
    d = Math.max(d, Math.abs(refCdf - curCdf));
  }
  const nEff = (n * m) / (n + m);
  return { d, p: kolmogorovSurvival(Math.sqrt(nEff) * d), nEff };
}
