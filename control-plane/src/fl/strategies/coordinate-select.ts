/**
 * Coordinate-wise order statistics over many update vectors, the engine of the robust rules (Yin et al. 2018,
 * "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates": coordinate-wise median and
 * trimmed mean). The K values of one coordinate live in K different arrays, so coordinates are processed in
 * blocks: a block of BLOCK coordinates is gathered from every update (one short contiguous read per update)
 * into a column-major buffer (BLOCK × K floats, 256 KB for K = 1,000 — fits L2), then each column is reduced
 * with an in-place quickselect — expected O(K) instead of a sort's O(K log K). Clients choose the values, so
 * the quickselect falls back to a native sort of what is left after too many rounds (introselect), which
 * keeps a crafted worst case at O(K log K).
 */

const BLOCK = 64;
/** Partition rounds before the sort fallback: ~2·log2(K) for K ≤ 2^16 updates. */
const MAX_PARTITION_ROUNDS = 32;

/**
 * Rearranges `a[left..right]` so that `a[k]` holds the value of rank k, everything before it is ≤ a[k] and
 * everything after it ≥ a[k] (Hoare's FIND with a median-of-three pivot).
 */
export function selectInPlace(a: Float32Array, range: { left: number; right: number }, k: number): void {
  let { left, right } = range;
  for (let round = 0; right > left; round++) {
    if (round === MAX_PARTITION_ROUNDS) {
      a.subarray(left, right + 1).sort();
      return;
    }
    const mid = (left + right) >>> 1;
    // Median of three into a[mid]; also makes a[left] and a[right] sentinels for the scans below.
    if ((a[mid] as number) < (a[left] as number)) swap(a, mid, left);
    if ((a[right] as number) < (a[left] as number)) swap(a, right, left);
    if ((a[right] as number) < (a[mid] as number)) swap(a, right, mid);
    const pivot = a[mid] as number;
    let i = left;
    let j = right;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[left..j] ≤ pivot ≤ a[i..right], and everything strictly between j and i equals the pivot.
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}

function swap(a: Float32Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/** Reduces the column `buffer[offset .. offset + count)` (which it may reorder) to one value. */
export type ColumnReducer = (buffer: Float32Array, offset: number, count: number) => number;

/** out[i] = reduce([v[i] for v of vectors]) for every coordinate i. */
export function coordinateWise(vectors: readonly Float32Array[], length: number, reduce: ColumnReducer): Float32Array {
  const count = vectors.length;
  const buffer = new Float32Array(BLOCK * count);
  const out = new Float32Array(length);
  for (let start = 0; start < length; start += BLOCK) {
    const width = Math.min(BLOCK, length - start);
    for (let k = 0; k < count; k++) {
      const vector = vectors[k] as Float32Array;
      for (let j = 0; j < width; j++) buffer[j * count + k] = vector[start + j] as number;
    }
    for (let j = 0; j < width; j++) out[start + j] = reduce(buffer, j * count, count);
  }
  return out;
}

/** The median of a column (mean of the two middle values for an even count). */
export const medianOf: ColumnReducer = (buffer, offset, count) => {
  const upper = offset + (count >>> 1);
  selectInPlace(buffer, { left: offset, right: offset + count - 1 }, upper);
  const high = buffer[upper] as number;
  if (count % 2 === 1) return high;
  // After selection every value left of `upper` is ≤ it; the lower middle is their maximum.
  let low = buffer[offset] as number;
  for (let i = offset + 1; i < upper; i++) if ((buffer[i] as number) > low) low = buffer[i] as number;
  return (low + high) / 2;
};

/** The mean of a column without its `trim` smallest and `trim` largest values. */
export function trimmedMeanOf(trim: number): ColumnReducer {
  return (buffer, offset, count) => {
    const last = offset + count - 1;
    if (trim > 0) {
      selectInPlace(buffer, { left: offset, right: last }, offset + trim);
      selectInPlace(buffer, { left: offset + trim, right: last }, last - trim);
    }
    let sum = 0;
    for (let i = offset + trim; i <= last - trim; i++) sum += buffer[i] as number;
    return sum / (count - 2 * trim);
  };
}
