/**
 * The Page-Hinkley test (Page 1954, "Continuous Inspection Schemes"; in the form of Gama et al. 2013 and
 * River's `river.drift.PageHinkley`): cumulative deviations of each sample from the running mean, minus
 * (upward test) or plus (downward test) a tolerance δ, with a forgetting factor α on the sums. An alarm
 * fires once the cumulative sum has risen (or fallen) more than λ from its extreme, after at least
 * `minInstances` samples. As in River, the detector starts afresh on the sample after an alarm.
 */

export const PAGE_HINKLEY_DEFAULTS = Object.freeze({
  minInstances: 30,
  delta: 0.005,
  lambda: 50,
  alpha: 1 - 0.0001,
  mode: 'both' as PageHinkleyMode,
});

/** 'up' watches for an increase of the mean only; 'both' for an increase or a decrease. */
export type PageHinkleyMode = 'up' | 'down' | 'both';

export interface PageHinkleyOptions {
  readonly minInstances?: number;
  /** Magnitude of change tolerated, in the signal's unit. */
  readonly delta?: number;
  /** Detection threshold λ, in signal units × samples. */
  readonly lambda?: number;
  /** Forgetting factor on the cumulative sums (1 = no forgetting). */
  readonly alpha?: number;
  readonly mode?: PageHinkleyMode;
}

export interface PageHinkley {
  /** Adds a sample; true when a change was detected. */
  update(x: number): boolean;
  /** Running mean of the samples since the last reset. */
  readonly estimation: number;
  /** Samples since the last reset. */
  readonly width: number;
  reset(): void;
}

export function createPageHinkley(options: PageHinkleyOptions = {}): PageHinkley {
  const minInstances = options.minInstances ?? PAGE_HINKLEY_DEFAULTS.minInstances;
  const delta = options.delta ?? PAGE_HINKLEY_DEFAULTS.delta;
  const lambda = options.lambda ?? PAGE_HINKLEY_DEFAULTS.lambda;
  const alpha = options.alpha ?? PAGE_HINKLEY_DEFAULTS.alpha;
  const mode = options.mode ?? PAGE_HINKLEY_DEFAULTS.mode;
  if (!(alpha > 0 && alpha <= 1)) throw new RangeError(`Page-Hinkley alpha must be in (0, 1], got ${alpha}`);
  if (!(lambda > 0)) throw new RangeError(`Page-Hinkley lambda must be positive, got ${lambda}`);
  if (!(delta >= 0)) throw new RangeError(`Page-Hinkley delta must be non-negative, got ${delta}`);

  let n = 0;
  let mean = 0;
  let sumIncrease = 0;
  let sumDecrease = 0;
  let minIncrease = Number.POSITIVE_INFINITY;
  let maxDecrease = Number.NEGATIVE_INFINITY;
  let detected = false;

  function reset(): void {
    n = 0;
    mean = 0;
    sumIncrease = 0;
    sumDecrease = 0;
    minIncrease = Number.POSITIVE_INFINITY;
    maxDecrease = Number.NEGATIVE_INFINITY;
    detected = false;
  }

  return {
    update(x) {
      if (detected) reset();
      n += 1;
      mean += (x - mean) / n;
      const deviation = x - mean;
      // m_T = α·m_{T−1} + (x_T − x̄_T ∓ δ); the test statistic is the distance of m_T from its extreme.
      sumIncrease = alpha * sumIncrease + deviation - delta;
      sumDecrease = alpha * sumDecrease + deviation + delta;
      if (sumIncrease < minIncrease) minIncrease = sumIncrease;
      if (sumDecrease > maxDecrease) maxDecrease = sumDecrease;
      if (n < minInstances) return false;
      const up = sumIncrease - minIncrease > lambda;
      const down = maxDecrease - sumDecrease > lambda;
      detected = mode === 'up' ? up : mode === 'down' ? down : up || down;
      return detected;
    },
    get estimation() {
      return mean;
    },
    get width() {
      return n;
    },
    reset,
  };
}
