/**
 * Privacy accounting for repeated Gaussian mechanisms with Rényi differential privacy (Mironov 2017,
 * "Rényi Differential Privacy"): per-round RDP at order α, composed over T rounds by addition (Prop. 1),
 * converted to (ε, δ) with ε = min_α [T·RDP(α) + log(1/δ)/(α − 1)] (Prop. 3). Two per-round bounds:
 *  - `gaussian` (samplingRate 1: every client takes part in every round): RDP(α) = α / (2z²) (Mironov 2017
 *    Prop. 7); the minimum over real α > 1 is in closed form, ε = T/(2z²) + √(2T·log(1/δ))/z.
 *  - `sampled-gaussian` (each client joins a round independently with probability q — Poisson sampling, as
 *    in DP-FedAvg): the RDP of the sampled Gaussian mechanism at integer orders, Mironov, Talwar & Zhang 2019,
 *    "Rényi Differential Privacy of the Sampled Gaussian Mechanism" §3.3,
 *      RDP(α) = log Σ_{k=0..α} C(α,k) (1−q)^{α−k} q^k exp((k² − k) / (2z²)) / (α − 1),
 *    minimised over integer orders α ∈ {2, …, 256} ∪ {320, …, 1024}. At integer orders this is exact: the
 *    log moment of Abadi et al. 2016's moments accountant at λ = α − 1, and what TensorFlow Privacy's and
 *    Opacus' RDP accountants compute (the tests reproduce an Opacus documentation example). Fixed-size
 *    client selection is not Poisson sampling; account it with q = 1.
 * Both are UPPER bounds on ε: the true privacy loss may be lower (tighter conversions exist, e.g. Balle et al.
 * 2020), never higher. z = noiseMultiplier = σ / clipNorm; the unit of privacy is one client's whole update.
 */
import { ProtocolError } from '../errors/edgefleet-error.js';

export type DpAccountingMethod = 'gaussian' | 'sampled-gaussian';

export interface DpAccountingInput {
  readonly noiseMultiplier: number;
  /** Rounds a client may have taken part in (T). */
  readonly rounds: number;
  /** Target δ, conventionally < 1 / population. */
  readonly delta: number;
  /** Per-round Poisson sampling probability q of one client (default 1: no amplification). */
  readonly samplingRate?: number;
}

export interface DpGuarantee {
  readonly epsilon: number;
  readonly delta: number;
  /** The Rényi order α at which the minimum was attained. */
  readonly order: number;
  readonly method: DpAccountingMethod;
}

// Every integer order up to 256 (TF Privacy's default grid tops out at 256 too), then sparser ones for
// large noise multipliers, whose optimum moves to high orders.
const INTEGER_ORDERS = [...Array.from({ length: 255 }, (_, i) => i + 2), 320, 384, 512, 768, 1024];

/** RDP of one Gaussian mechanism with noise multiplier z at order α (Mironov 2017 Prop. 7). */
export function gaussianRdp(noiseMultiplier: number, order: number): number {
  return order / (2 * noiseMultiplier * noiseMultiplier);
}

function logSumExp(terms: readonly number[]): number {
  const max = Math.max(...terms);
  if (max === Number.NEGATIVE_INFINITY) return max;
  return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
}

/** RDP of one sampled Gaussian mechanism at an integer order α ≥ 2 (Mironov, Talwar & Zhang 2019 §3.3). */
export function sampledGaussianRdp(options: { noiseMultiplier: number; samplingRate: number; order: number }): number {
  const { noiseMultiplier: z, samplingRate: q, order: alpha } = options;
  if (q === 1) return gaussianRdp(z, alpha);
  const terms: number[] = [];
  let logBinomial = 0; // log C(α, k), built incrementally
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinomial += Math.log((alpha - k + 1) / k);
    const logQ = k === 0 ? 0 : k * Math.log(q);
    const log1mQ = alpha - k === 0 ? 0 : (alpha - k) * Math.log1p(-q);
    terms.push(logBinomial + logQ + log1mQ + (k * k - k) / (2 * z * z));
  }
  return logSumExp(terms) / (alpha - 1);
}

function assertInput(input: DpAccountingInput): void {
  const q = input.samplingRate ?? 1;
  const valid =
    Number.isFinite(input.noiseMultiplier) &&
    input.noiseMultiplier > 0 &&
    Number.isInteger(input.rounds) &&
    input.rounds >= 1 &&
    input.delta > 0 &&
    input.delta < 1 &&
    q > 0 &&
    q <= 1;
  if (!valid) {
    throw new ProtocolError('FL_CONFIG_INVALID', 'DP accounting needs z > 0, rounds ≥ 1, 0 < δ < 1, 0 < q ≤ 1', {
      details: { ...input },
    });
  }
}

/** ε of T plain Gaussian mechanisms, minimised in closed form over real α > 1. */
function gaussianGuarantee(z: number, rounds: number, delta: number): DpGuarantee {
  const logInvDelta = Math.log(1 / delta);
  // d/dα [Tα/(2z²) + L/(α−1)] = 0  ⇒  α* = 1 + z·√(2L/T).
  const order = 1 + z * Math.sqrt((2 * logInvDelta) / rounds);
  const epsilon = rounds * gaussianRdp(z, order) + logInvDelta / (order - 1);
  return { epsilon, delta, order, method: 'gaussian' };
}

/** (ε, δ) after `rounds` Gaussian mechanisms with noise multiplier z — an upper bound (see header). */
export function dpEpsilon(input: DpAccountingInput): DpGuarantee {
  assertInput(input);
  const { noiseMultiplier: z, rounds, delta } = input;
  const q = input.samplingRate ?? 1;
  const unsampled = gaussianGuarantee(z, rounds, delta);
  if (q === 1) return unsampled;
  const logInvDelta = Math.log(1 / delta);
  let best = { epsilon: Number.POSITIVE_INFINITY, order: Number.NaN };
  for (const order of INTEGER_ORDERS) {
    const rdp = rounds * sampledGaussianRdp({ noiseMultiplier: z, samplingRate: q, order });
    const epsilon = rdp + logInvDelta / (order - 1);
    if (epsilon < best.epsilon) best = { epsilon, order };
  }
  // Subsampling never increases RDP at any order (joint quasi-convexity of Rényi divergence), so the
  // unsampled bound also holds; it wins when the optimum lies between integer orders (α* < 2, large ε).
  return best.epsilon <= unsampled.epsilon ? { ...best, delta, method: 'sampled-gaussian' } : unsampled;
}
