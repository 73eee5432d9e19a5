/**
 * The Gaussian mechanism on model updates, as in DP-FedAvg (McMahan et al. 2018, "Learning Differentially
 * Private Recurrent Language Models", Alg. 1): each update's L2 norm is clipped to `clipNorm` (bounding one
 * client's influence, the sensitivity), then N(0, σ²) noise with σ = noiseMultiplier · clipNorm is added to
 * every coordinate. Applied by a client to its own update it protects that update even from the coordinator
 * (local noise: the mean's noise is σ/√n, not σ/n); applied by the coordinator to the sum of clipped updates it
 * is central DP. Either way, one application is one step of the accountant in `dp-accountant.ts`.
 *
 * Noise comes from Box–Muller over the AES-CTR PRG: a fresh random 32-byte seed by default, a fixed `seed`
 * for reproducible tests. Floating-point Gaussian noise is not hardened against the low-order-bits attack
 * (Mironov 2012); a discrete Gaussian (Canonne et al. 2020) would be needed for that.
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { PRG_SEED_BYTES, prgUniform } from './prg.js';

export interface DpNoiseOptions {
  /** Maximum L2 norm of one update (the sensitivity). */
  readonly clipNorm: number;
  /** σ / clipNorm, the "z" of Abadi et al. 2016 and the accountant's input. */
  readonly noiseMultiplier: number;
  /** 32 bytes; makes the noise reproducible (tests only: noise must be unpredictable to protect anything). */
  readonly seed?: Uint8Array;
}

export interface PrivatizedUpdate {
  readonly delta: Float32Array;
  /** L2 norm before clipping. */
  readonly norm: number;
  readonly clipped: boolean;
  readonly noiseStdDev: number;
}

/** L2 norm with Float64 accumulation (a float32 sum of 10^5 squares loses ~3 digits). */
export function l2Norm(vector: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
  return Math.sqrt(sum);
}

function assertPositive(name: string, value: number, allowZero = false): void {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ProtocolError(
      'FL_CONFIG_INVALID',
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
      {
        details: { [name]: value },
      },
    );
  }
}

/** Scales `delta` down to L2 norm `clipNorm` when it is longer; returns a new vector either way. */
export function clipToNorm(delta: Float32Array, clipNorm: number): { clipped: Float32Array; norm: number } {
  assertPositive('clipNorm', clipNorm);
  const norm = l2Norm(delta);
  const out = new Float32Array(delta);
  if (norm > clipNorm) {
    // Float32 rounding may leave the norm a hair above clipNorm; shrink by one ulp-ish margin.
    const scale = (clipNorm / norm) * (1 - 2 ** -22);
    for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) * scale;
  }
  return { clipped: out, norm };
}

/** `vector` plus i.i.d. N(0, stdDev²) noise per coordinate (Box–Muller, both outputs used). */
export function addGaussianNoise(vector: Float32Array, options: { stdDev: number; seed?: Uint8Array }): Float32Array {
  assertPositive('stdDev', options.stdDev, true);
  const uniform = prgUniform(options.seed ?? randomBytes(PRG_SEED_BYTES));
  const out = new Float32Array(vector);
  for (let i = 0; i < out.length; i += 2) {
    const radius = options.stdDev * Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = (out[i] as number) + radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = (out[i + 1] as number) + radius * Math.sin(angle);
  }
  return out;
}

/** Clip to `clipNorm`, then add N(0, (noiseMultiplier · clipNorm)²) per coordinate. */
export function privatizeUpdate(delta: Float32Array, options: DpNoiseOptions): PrivatizedUpdate {
  assertPositive('noiseMultiplier', options.noiseMultiplier, true);
  const { clipped, norm } = clipToNorm(delta, options.clipNorm);
  const noiseStdDev = options.noiseMultiplier * options.clipNorm;
  const noised = addGaussianNoise(clipped, {
    stdDev: noiseStdDev,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  return { delta: noised, norm, clipped: norm > options.clipNorm, noiseStdDev };
}
