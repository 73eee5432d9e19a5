/**
 * ADWIN2, the adaptive-windowing change detector (Bifet & Gavaldà 2007, "Learning from Time-Changing Data
 * with Adaptive Windowing", §4): the window is kept as an exponential histogram — rows of buckets holding
 * 2^row samples each (sum + variance), at most `maxBuckets` per row — and every `clock` samples each bucket
 * boundary is tested as a cut W = W0·W1. While some cut has |µ0 − µ1| > ε_cut the oldest bucket is dropped,
 * so after a change the window (and `estimation`) covers the new regime only. Defaults, the ε_cut variant
 * and the grace period follow River's `river.drift.ADWIN` (adwin_c.pyx); see `evaluateCut` for the bound.
 * Memory is O(maxBuckets · log n); `update` allocates only when the window doubles.
 */

export const ADWIN_DEFAULTS = Object.freeze({
  delta: 0.002,
  clock: 32,
  maxBuckets: 5,
  minWindowLength: 5,
  gracePeriod: 10,
});

export interface AdwinOptions {
  /** Confidence δ: the false-alarm bound (smaller = fewer alarms, slower detection). */
  readonly delta?: number;
  /** Cuts are tested every `clock` samples. */
  readonly clock?: number;
  /** Buckets kept per row before the two oldest are merged into the next row (M in the paper). */
  readonly maxBuckets?: number;
  /** Each side of a cut must hold at least this many samples. */
  readonly minWindowLength?: number;
  /** No cut is tested until the window holds more than this many samples. */
  readonly gracePeriod?: number;
}

export interface Adwin {
  /** Adds a sample; true when a change was detected (and the window was shrunk). */
  update(x: number): boolean;
  /** Mean of the current window (0 when empty). */
  readonly estimation: number;
  /** Samples in the current window. */
  readonly width: number;
  /** Samples seen since creation or the last reset. */
  readonly samples: number;
  reset(): void;
}

/** One row of the histogram: buckets of equal size 2^row, index 0 the oldest. */
interface BucketRow {
  readonly totals: Float64Array;
  readonly variances: Float64Array;
  size: number;
}

export function createAdwin(options: AdwinOptions = {}): Adwin {
  const delta = options.delta ?? ADWIN_DEFAULTS.delta;
  const clock = options.clock ?? ADWIN_DEFAULTS.clock;
  const maxBuckets = options.maxBuckets ?? ADWIN_DEFAULTS.maxBuckets;
  const minLength = options.minWindowLength ?? ADWIN_DEFAULTS.minWindowLength;
  const gracePeriod = options.gracePeriod ?? ADWIN_DEFAULTS.gracePeriod;
  if (!(delta > 0 && delta < 1)) throw new RangeError(`ADWIN delta must be in (0, 1), got ${delta}`);
  for (const [name, value] of [
    ['clock', clock],
    ['maxBuckets', maxBuckets],
    ['minWindowLength', minLength],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`ADWIN ${name} must be a positive integer`);
  }

  /** rows[0] holds single samples (newest data), the last row the biggest, oldest buckets. */
  let rows: BucketRow[] = [];
  let width = 0;
  let total = 0;
  /** Sum of squared deviations of the window (n·σ²), maintained incrementally. */
  let variance = 0;
  let tick = 0;
  let samples = 0;

  const newRow = (): BucketRow => ({
    totals: new Float64Array(maxBuckets + 1),
    variances: new Float64Array(maxBuckets + 1),
    size: 0,
  });

  function push(row: BucketRow, bucketTotal: number, bucketVariance: number): void {
    row.totals[row.size] = bucketTotal;
    row.variances[row.size] = bucketVariance;
    row.size += 1;
  }

  function dropOldest(row: BucketRow, count: number): void {
    row.totals.copyWithin(0, count, row.size);
    row.variances.copyWithin(0, count, row.size);
    row.size -= count;
  }

  function insert(x: number): void {
    if (rows.length === 0) rows.push(newRow());
    push(rows[0] as BucketRow, x, 0);
    width += 1;
    if (width > 1) {
      // Welford-style update of n·σ² (the window's sum of squared deviations)
      const d = x - total / (width - 1);
      variance += ((width - 1) * d * d) / width;
    }
    total += x;
    compress();
  }

  /** Paper §4: when a row holds M+1 buckets, its two oldest merge into one bucket of the next row. */
  function compress(): void {
    for (let idx = 0; idx < rows.length; idx++) {
      const row = rows[idx] as BucketRow;
      if (row.size <= maxBuckets) return;
      if (idx + 1 === rows.length) rows.push(newRow());
      const size = 2 ** idx;
      const t0 = row.totals[0] as number;
      const t1 = row.totals[1] as number;
      const dm = (t0 - t1) / size;
      // Chan et al. pairwise variance: v = v0 + v1 + n0·n1/(n0+n1)·(µ0 − µ1)²
      push(
        rows[idx + 1] as BucketRow,
        t0 + t1,
        (row.variances[0] as number) + (row.variances[1] as number) + (size * dm * dm) / 2,
      );
      dropOldest(row, 2);
    }
  }

  /** Removes the oldest bucket; returns its size. */
  function deleteOldestBucket(): number {
    const last = rows.length - 1;
    const row = rows[last] as BucketRow;
    const n = 2 ** last;
    const u = row.totals[0] as number;
    const v = row.variances[0] as number;
    width -= n;
    total -= u;
    if (width > 0) {
      const dm = u / n - total / width;
      variance -= v + (n * width * dm * dm) / (n + width);
    } else {
      variance = 0;
    }
    dropOldest(row, 1);
    if (row.size === 0) rows.pop();
    return n;
  }

  /**
   * ε_cut as River computes it: the paper's Bernstein-type bound (§4, ADWIN2)
   * ε = sqrt(2/m · σ²_W · ln(2/δ')) + 2/(3m) · ln(2/δ') with δ' = δ / ln n, and 1/m = 1/(n0 − L + 1) +
   * 1/(n1 − L + 1) for the minimum sub-window length L (slightly more conservative than the harmonic mean).
   */
  function evaluateCut(n0: number, n1: number, deltaMean: number): boolean {
    const deltaPrime = Math.log((2 * Math.log(width)) / delta);
    const mRecip = 1 / (n0 - minLength + 1) + 1 / (n1 - minLength + 1);
    const epsilon = Math.sqrt(2 * mRecip * (variance / width) * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
    return Math.abs(deltaMean) > epsilon;
  }

  /** Tests every bucket boundary, oldest first; drops the oldest bucket while a cut holds. */
  function detect(): boolean {
    if (tick % clock !== 0 || width <= gracePeriod) return false;
    let changed = false;
    let reduce = true;
    while (reduce) {
      reduce = false;
      let n0 = 0;
      let n1 = width;
      let u0 = 0;
      let u1 = total;
      scan: for (let idx = rows.length - 1; idx >= 0; idx--) {
        const row = rows[idx] as BucketRow;
        const size = 2 ** idx;
        for (let k = 0; k < row.size; k++) {
          const t = row.totals[k] as number;
          n0 += size;
          n1 -= size;
          u0 += t;
          u1 -= t;
          if (idx === 0 && k === row.size - 1) break scan; // W1 would be empty
          if (n0 >= minLength && n1 >= minLength && evaluateCut(n0, n1, u0 / n0 - u1 / n1)) {
            changed = true;
            reduce = width > 0;
            if (reduce) deleteOldestBucket();
            break scan;
          }
        }
      }
    }
    return changed;
  }

  return {
    update(x) {
      samples += 1;
      tick += 1;
      insert(x);
      return detect();
    },
    get estimation() {
      return width === 0 ? 0 : total / width;
    },
    get width() {
      return width;
    },
    get samples() {
      return samples;
    },
    reset() {
      rows = [];
      width = 0;
      total = 0;
      variance = 0;
      tick = 0;
      samples = 0;
    },
  };
}
