/**
 * Compares one merged sketch with the manifest's reference profile: PSI, JS distance and (numeric features
 * only — categories have no order, so a CDF over them means nothing) binned KS per feature, PSI and JS of the
 * predicted-class histogram, and the resulting level under the drift policy (thresholds.ts). The level is
 * about the model's inputs: output summaries (confidence, entropy: `source: 'output'`) and the class
 * histogram are reported beside it but do not set it — prediction drift is what a rollout gate reads — except
 * for a profile that has only output summaries, whose level they then set.
 *
 * A numeric feature's reference has no rows beyond its own minimum and maximum — the edges are those — so its
 * under- and overflow bins are empty by construction. PSI smooths an empty bin with ε (1e-4), which made
 * PSI on out-of-range data a function of ε. For PSI only, an empty tail of the reference that live rows fall
 * into counts half a row (`TAIL_PRIOR_ROWS`, the Krichevsky–Trofimov / Jeffreys estimate of a bin never seen
 * in N draws): data beyond the range is compared with what N reference rows can tell, ≈ 1 / (2N), whatever ε is
 * (docs/adr/0003-drift-for-any-tensor.md).
 */
import { type DriftSketch, mergeSketches, outputFeatureCount, type ReferenceProfile } from '@edgefleet/protocol';
import { binnedKs, jsDistance, psi } from './stats.js';
import { DRIFT_DEFAULTS, type DriftConfig, type DriftLevel, featureDrifted, windowLevel } from './thresholds.js';

/** Reference rows an empty under- or overflow bin of a numeric feature counts for PSI. */
export const TAIL_PRIOR_ROWS = 0.5;

/**
 * The reference counts PSI compares `bins` with: an empty tail of a numeric feature holds TAIL_PRIOR_ROWS
 * when the live window has rows there (where both are empty, both sides stay ε and add nothing).
 */
function psiReference(feature: ReferenceProfile['features'][number], bins: readonly number[]): readonly number[] {
  if (feature.kind !== 'numeric') return feature.counts;
  const last = feature.counts.length - 1;
  const prior = (c: number, i: number) => (i === 0 || i === last) && c === 0 && (bins[i] as number) > 0;
  return feature.counts.map((c, i) => (prior(c, i) ? TAIL_PRIOR_ROWS : c));
}

export interface FeatureDrift {
  readonly name: string;
  /** A summary of the model's input, or of its output (confidence, entropy). */
  readonly source: 'input' | 'output';
  readonly psi: number;
  readonly js: number;
  /** null for categorical features. */
  readonly ksD: number | null;
  readonly ksP: number | null;
  readonly drifted: boolean;
}

export interface WindowDrift {
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly rows: number;
  readonly level: DriftLevel;
  readonly datasetDrift: boolean;
  /** Share of the level's features (the input features when there are any) that drifted, in [0, 1]. */
  readonly driftedShare: number;
  /** Empty when the window has no rows. */
  readonly features: FeatureDrift[];
  /** null when the window has no rows. */
  readonly output: { readonly psi: number; readonly js: number } | null;
}

export function compareToProfile(
  profile: ReferenceProfile,
  sketch: DriftSketch,
  config: DriftConfig = DRIFT_DEFAULTS,
): WindowDrift {
  const base = { windowStartMs: sketch.windowStartMs, windowEndMs: sketch.windowEndMs, rows: sketch.count };
  if (sketch.count === 0) {
    return { ...base, level: 'insufficient', datasetDrift: false, driftedShare: 0, features: [], output: null };
  }
  const ksTests = profile.features.filter((f) => f.kind === 'numeric').length;
  const firstOutput = profile.features.length - outputFeatureCount(profile);
  const features = profile.features.map((reference, i): FeatureDrift => {
    const bins = sketch.features[i]!.bins;
    const stats = {
      psi: psi(psiReference(reference, bins), bins, config.psiEpsilon),
      js: jsDistance(reference.counts, bins),
      ...(reference.kind === 'numeric'
        ? (({ d, p }) => ({ ksD: d, ksP: p }))(binnedKs(reference.counts, bins))
        : { ksD: null, ksP: null }),
    };
    const source = i < firstOutput ? 'input' : 'output';
    return { name: reference.name, source, ...stats, drifted: featureDrifted(config, stats, ksTests) };
  });
  const judged = firstOutput > 0 ? features.slice(0, firstOutput) : features;
  const drifted = judged.filter((f) => f.drifted).length;
  const driftedShare = drifted / judged.length;
  const datasetDrift = driftedShare >= config.datasetDriftShare;
  const maxPsi = Math.max(...judged.map((f) => f.psi));
  return {
    ...base,
    level: windowLevel(config, { rows: sketch.count, datasetDrift, drifted, maxPsi }),
    datasetDrift,
    driftedShare,
    features,
    output: {
      psi: psi(profile.output.counts, sketch.output.bins, config.psiEpsilon),
      js: jsDistance(profile.output.counts, sketch.output.bins),
    },
  };
}

/** Merges device windows (protocol mergeSketches: exact bin sums, Chan-merged moments); null when none. */
export function mergeAll(sketches: readonly DriftSketch[]): DriftSketch | null {
  let merged: DriftSketch | null = null;
  for (const sketch of sketches) merged = merged === null ? sketch : mergeSketches(merged, sketch);
  return merged;
}

/** The cohort path in one call: merge the windows, compare the result with the profile. */
export function mergeAndCompare(
  profile: ReferenceProfile,
  sketches: readonly DriftSketch[],
  config: DriftConfig = DRIFT_DEFAULTS,
): WindowDrift | null {
  const merged = mergeAll(sketches);
  return merged === null ? null : compareToProfile(profile, merged, config);
}
