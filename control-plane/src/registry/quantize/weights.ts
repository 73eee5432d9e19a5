/**
 * Owns the arithmetic of weight quantization: float32 values to symmetric int8, per tensor or per output
 * channel, with the scale and rounding onnxruntime's quantizer uses (quant_utils.compute_scale_zp and
 * quantize_nparray: scale = max|w| / 127 in float32, zero point 0, round half to even, clip to ±127 so the range
 * stays symmetric). Also the small layout helpers weights need before quantization.
 */

const INT8_LIMIT = 127;

export interface QuantizedWeights {
  readonly values: Int8Array;
  /** One scale per channel, or a single one for per-tensor quantization. */
  readonly scales: Float32Array;
}

/**
 * Quantizes `weights` in `channels` equal contiguous blocks (the leading axis of a row-major tensor, i.e. the
 * output channels of a Conv weight); `channels = 1` is per-tensor.
 */
export function quantizeSymmetric(weights: Float32Array, channels = 1): QuantizedWeights {
  if (channels < 1 || weights.length % channels !== 0) {
    throw new RangeError(`${weights.length} weights do not split into ${channels} channels`);
  }
  const block = weights.length / channels;
  const values = new Int8Array(weights.length);
  const scales = new Float32Array(channels);
  for (let channel = 0; channel < channels; channel++) {
    const start = channel * block;
    let maxAbs = 0;
    for (let i = start; i < start + block; i++) maxAbs = Math.max(maxAbs, Math.abs(weights[i] as number));
    // An all-zero channel has no range; onnxruntime uses scale 1, which reproduces zeros exactly.
    const scale = maxAbs > 0 ? Math.fround(maxAbs / INT8_LIMIT) : 1;
    scales[channel] = scale;
    for (let i = start; i < start + block; i++) {
      const q = roundHalfEven(Math.fround((weights[i] as number) / scale));
      values[i] = Math.max(-INT8_LIMIT, Math.min(INT8_LIMIT, q));
    }
  }
  return { values, scales };
}

/** numpy's `round`, which quantize_nparray uses: ties go to the even neighbour, not away from zero. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Row-major [rows, cols] to row-major [cols, rows]. */
export function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c] as number;
  }
  return out;
}
