/**
 * Compares one merged sketch with the manifest's reference profile: PSI, JS distance and (numeric features
 * only — categories have no order, so a CDF over them means nothing) binned KS per feature, PSI and JS of the
 * predicted-class histogram, and the resulting level under the drift policy (thresholds.ts). The output
 * histogram is reported but does not set the level: the level rule is about input features, and a
 * rollout gate can read `output` itself.
 */
import { type DriftSketch, mergeSketches, type ReferenceProfile } from '@edgefleet/protocol';
import { binnedKs, jsDistance, psi } from './stats.js';
import { DRIFT_DEFAULTS, type DriftConfig, type DriftLevel, featureDrifted, windowLevel } from './thresholds.js';

export interface FeatureDrift {
  readonly name: string;
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
  /** Share of features that drifted, in [0, 1]. */
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
  const features = profile.features.map((reference, i): FeatureDrift => {
    const bins = sketch.features[i]!.bins;
    const stats = {
      psi: psi(reference.counts, bins, config.psiEpsilon),
      js: jsDistance(reference.counts, bins),
      ...(reference.kind === 'numeric'
        ? (({ d, p }) => ({ ksD: d, ksP: p }))(binnedKs(reference.counts, bins))
        : { ksD: null, ksP: null }),
    };
    return { name: reference.name, ...stats, drifted: featureDrifted(config, stats, ksTests) };
  });
  const drifted = features.filter((f) => f.drifted).length;
  const driftedShare = drifted / features.length;
  const datasetDrift = driftedShare >= config.datasetDriftShare;
  const maxPsi = Math.max(...features.map((f) => f.psi));
  return {
    ...base,
    level: windowLevel(config, { rows: sketch.count, datasetDrift, maxPsi, anyDrifted: drifted > 0 }),
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
