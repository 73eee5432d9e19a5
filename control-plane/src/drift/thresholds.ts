/**
 * The fleet drift policy: when a feature counts as drifted and when a window is 'ok', 'warn', 'alert' or too
 * small to judge. Defaults: PSI ≥ 0.1 warn / ≥ 0.25 alert (the usual credit-scoring bands, Siddiqi
 * 2006), JS distance ≥ 0.1 (Evidently's default), KS p < 0.05 after a Bonferroni correction across the
 * features KS was run on (α / k), dataset drift when ≥ 50 % of features drift (Evidently's share rule).
 * Cohort windows are judged for alerts only once closed (`graceMs` after their end), never while devices
 * are still reporting into them. Everything is overridable through `createControlPlane({ drift: {...} })`.
 */
export const DRIFT_DEFAULTS = Object.freeze({
  psiWarn: 0.1,
  psiAlert: 0.25,
  jsDrift: 0.1,
  /** Family-wise α for KS; each of k features is tested at ksAlpha / k. */
  ksAlpha: 0.05,
  /** Dataset drift when at least this share of features drift. */
  datasetDriftShare: 0.5,
  /** ε that replaces empty bin proportions in PSI. */
  psiEpsilon: 1e-4,
  /** Cohort windows are device windows aligned on floor(windowStartMs / windowMs). */
  windowMs: 60_000,
  /** Rows a merged window needs before it is judged; fewer → 'insufficient'. */
  minRows: 50,
  /**
   * How long after its end a cohort window stays open for alerting. A device publishes a window when it
   * ends, plus up to its telemetry publish interval (agent default 5 s) and delivery; 15 s covers that with
   * margin, so an alert is decided on the complete window rather than on the first device's partial one.
   */
  graceMs: 15_000,
  /** How often the control plane judges the cohort windows that have closed since the last run. */
  judgeIntervalMs: 5_000,
});

export type DriftConfig = { readonly [K in keyof typeof DRIFT_DEFAULTS]: number };

export type DriftLevel = 'insufficient' | 'ok' | 'warn' | 'alert';

export interface FeatureVerdictInput {
  readonly psi: number;
  readonly js: number;
  /** null when KS does not apply (categorical features). */
  readonly ksP: number | null;
}

export function resolveDriftConfig(overrides: Partial<DriftConfig> = {}): DriftConfig {
  const config: Record<keyof DriftConfig, number> = { ...DRIFT_DEFAULTS };
  for (const [key, value] of Object.entries(overrides) as [keyof DriftConfig, number | undefined][]) {
    if (value !== undefined && Object.hasOwn(DRIFT_DEFAULTS, key)) config[key] = value;
  }
  const positive = ['psiWarn', 'psiAlert', 'jsDrift', 'psiEpsilon', 'windowMs', 'judgeIntervalMs'] as const;
  const bad =
    positive.find((k) => !(config[k] > 0 && Number.isFinite(config[k]))) ??
    (!(config.graceMs >= 0 && Number.isFinite(config.graceMs)) ? 'graceMs' : undefined) ??
    (!(config.ksAlpha > 0 && config.ksAlpha < 1) ? 'ksAlpha' : undefined) ??
    (!(config.datasetDriftShare > 0 && config.datasetDriftShare <= 1) ? 'datasetDriftShare' : undefined) ??
    (!(config.minRows >= 1) ? 'minRows' : undefined) ??
    (config.psiAlert < config.psiWarn ? 'psiAlert' : undefined);
  if (bad !== undefined) {
    // A programming/configuration error at start-up, not a request: protocol has no CONFIG_INVALID code yet.
    throw new RangeError(`drift.${bad} = ${config[bad]} is out of range`);
  }
  return Object.freeze(config);
}

/** A feature drifts when any of its three tests says so. `ksTests` = k in the Bonferroni correction. */
export function featureDrifted(config: DriftConfig, stats: FeatureVerdictInput, ksTests: number): boolean {
  const ksRejects = stats.ksP !== null && stats.ksP < config.ksAlpha / Math.max(1, ksTests);
  return stats.psi >= config.psiWarn || stats.js >= config.jsDrift || ksRejects;
}

/** Drifted features a dataset drift needs before it alone makes a window 'alert'. */
export const DATASET_DRIFT_MIN_FEATURES = 2;

/**
 * 'alert' when a feature's PSI reaches psiAlert, or when dataset drift spans at least two features; 'warn'
 * when any feature drifted. The share rule alone would make one drifted feature of a one-feature model
 * (share 1) — or of a two-feature model (share ½) — a dataset drift, so such models could never be at
 * 'warn': a single drifted feature is a warning unless its own PSI is in the alert band
 * (docs/adr/0003-drift-for-any-tensor.md).
 */
export function windowLevel(
  config: DriftConfig,
  window: { rows: number; datasetDrift: boolean; drifted: number; maxPsi: number },
): DriftLevel {
  if (window.rows < config.minRows) return 'insufficient';
  if (window.maxPsi >= config.psiAlert) return 'alert';
  if (window.datasetDrift && window.drifted >= DATASET_DRIFT_MIN_FEATURES) return 'alert';
  return window.drifted > 0 ? 'warn' : 'ok';
}
