/**
 * Fixed-point encoding of weighted updates into Z_2^32, the ring secure-aggregation masks live in: masks only
 * cancel exactly on integers (Bonawitz et al. 2017 §3 work in Z_R for the same reason). A client encodes
 * `round(n · clamp(Δ_i, ±clipAbs) · 2^scaleBits)` as a two's-complement uint32; the server adds the encodings
 * (and masks) modulo 2^32 and reads the sum back as a signed int32.
 *
 * Overflow bound: the decoded sum is exact as long as |Σ_k n_k · Δ_k,i| · 2^scaleBits < 2^31 for every
 * coordinate i; with every |Δ_k,i| ≤ clipAbs that holds when (Σ_k n_k) · clipAbs · 2^scaleBits ≤ 2^31 − 1,
 * i.e. the round's total sample count times the clipping range — `maxSafeScaleBits` picks the largest such
 * scale. Rounding error of the weighted mean is at most (clients · 2^−(scaleBits+1)) / Σ n_k per coordinate.
 */
import { ProtocolError } from '../errors/edgefleet-error.js';

const INT32_MAX = 2 ** 31 - 1;

export const FIXED_POINT_DEFAULTS = Object.freeze({
  /** Clamping range of one delta coordinate before encoding (model deltas of one round are well below 1). */
  clipAbs: 1,
});

export interface FixedPointScale {
  readonly scaleBits: number;
  readonly clipAbs: number;
}

/** The largest scale at which `maxTotalSamples` samples of deltas clamped to ±clipAbs cannot overflow. */
export function maxSafeScaleBits(options: { maxTotalSamples: number; clipAbs?: number }): number {
  const clipAbs = options.clipAbs ?? FIXED_POINT_DEFAULTS.clipAbs;
  const bits = Math.floor(Math.log2(INT32_MAX / (options.maxTotalSamples * clipAbs)));
  if (!Number.isFinite(bits) || bits < 0) {
    throw new ProtocolError('FL_CONFIG_INVALID', 'no fixed-point scale fits that many samples in 32 bits', {
      details: { maxTotalSamples: options.maxTotalSamples, clipAbs },
    });
  }
  return Math.min(bits, 30);
}

function assertScale(scale: FixedPointScale, sampleCount: number): void {
  const { scaleBits, clipAbs } = scale;
  const valid = Number.isInteger(scaleBits) && scaleBits >= 0 && scaleBits <= 30 && clipAbs > 0;
  if (!valid || sampleCount * clipAbs * 2 ** scaleBits > INT32_MAX) {
    throw new ProtocolError('FL_CONFIG_INVALID', 'fixed-point scale overflows 32 bits for this update', {
      details: { scaleBits, clipAbs, sampleCount },
    });
  }
}

/** `sampleCount · delta` in fixed point, as two's-complement words of Z_2^32. */
export function encodeWeighted(delta: Float32Array, sampleCount: number, scale: FixedPointScale): Uint32Array {
  assertScale(scale, sampleCount);
  const { clipAbs } = scale;
  const factor = sampleCount * 2 ** scale.scaleBits;
  const out = new Uint32Array(delta.length);
  for (let i = 0; i < delta.length; i++) {
    const v = delta[i] as number;
    const clamped = Math.min(clipAbs, Math.max(-clipAbs, v));
    // Storing a negative integer into a Uint32Array wraps it modulo 2^32 (ToUint32), i.e. two's complement.
    out[i] = Math.round(clamped * factor);
  }
  return out;
}

/** Reads a modular sum of encodings back as Σ n_k Δ_k / divisor (the weighted mean when divisor = Σ n_k). */
export function decodeSum(sum: Uint32Array, options: { scaleBits: number; divisor: number }): Float32Array {
  const factor = 1 / (2 ** options.scaleBits * options.divisor);
  const out = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = ((sum[i] as number) | 0) * factor;
  return out;
}
