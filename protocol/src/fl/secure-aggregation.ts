/**
 * Secure aggregation by pairwise additive masks — the pairwise-mask part of Bonawitz et al. 2017, "Practical
 * Secure Aggregation for Privacy-Preserving Machine Learning" §4. Each client u sends
 *   y_u = encode(n_u · Δ_u) + Σ_{v > u} PRG(s_uv) − Σ_{v < u} PRG(s_uv)   (mod 2^32)
 * (sign convention: the lower id adds, the higher subtracts), so the masks cancel in Σ_u y_u and the server
 * learns only Σ n_u Δ_u. When clients drop after masking, their masks stay in the survivors' sum; each
 * survivor then reveals its seeds with the dropped clients (`pairwiseSeedsFor`) and the server removes them.
 *
 * Not implemented from the paper: the self-mask b_u (double masking) and Shamir sharing of keys and b_u (t-out-of-n
 * recovery, robustness to clients dropping during recovery). Consequences, which the coordinator enforces:
 *  - recovery reveals a dropped client's pairwise seeds with every survivor, so its masked vector, if it
 *    arrived late, could be unmasked by the server: the server must REFUSE an update from a client it has
 *    already declared dropped (`unmaskAggregate` throws FL_SECAGG_INVALID when one is passed in), and
 *  - a survivor that does not reveal its seeds in the recovery step stalls the round (no threshold).
 * The model is honest-but-curious: a client revealing a wrong seed corrupts the sum undetected. All
 * survivors must have masked with the same peer set (the round's advertised keys); `dropped` is that set
 * minus the clients whose masked vector arrived. Sample counts travel in clear.
 */
import { ProtocolError } from '../errors/edgefleet-error.js';
import { decodeSum, encodeWeighted, FIXED_POINT_DEFAULTS } from './fixed-point.js';
import { prgWords } from './prg.js';
import { orderedPair, pairSeed, type SecAggPeer } from './secagg-keys.js';
import { updateProblem } from './update-check.js';

export interface MaskedUpdateInput {
  readonly roundId: string;
  readonly selfId: string;
  readonly secretKey: Uint8Array;
  /** Every other client of the round with its advertised public key. */
  readonly peers: readonly SecAggPeer[];
  readonly delta: Float32Array;
  readonly sampleCount: number;
  readonly scaleBits: number;
  /** Coordinates are clamped to ±clipAbs before encoding (default FIXED_POINT_DEFAULTS.clipAbs). */
  readonly clipAbs?: number;
}

/** A pairwise seed revealed in recovery: `a < b`, one of them a survivor, the other dropped. */
export interface RevealedSeed {
  readonly a: string;
  readonly b: string;
  readonly seed: Uint8Array;
}

function invalid(message: string, details: Record<string, unknown> = {}): ProtocolError {
  return new ProtocolError('FL_SECAGG_INVALID', message, { details });
}

function addInto(target: Uint32Array, words: Uint32Array, sign: 1 | -1): void {
  // Uint32Array stores wrap modulo 2^32, so plain + and − are ring operations in Z_2^32.
  if (sign === 1) for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) + (words[i] as number);
  else for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) - (words[i] as number);
}

/** Client side: the update to send, `sampleCount · delta` in fixed point plus the pairwise masks. */
export function maskedUpdate(input: MaskedUpdateInput): Uint32Array {
  const problem = updateProblem(input.delta, input.sampleCount, input.delta.length);
  if (problem !== null) throw new ProtocolError('FL_UPDATE_INVALID', problem.message, { details: { ...problem } });
  const clipAbs = input.clipAbs ?? FIXED_POINT_DEFAULTS.clipAbs;
  const out = encodeWeighted(input.delta, input.sampleCount, { scaleBits: input.scaleBits, clipAbs });
  const seen = new Set<string>();
  for (const peer of input.peers) {
    if (seen.has(peer.deviceId)) throw invalid(`peer ${peer.deviceId} is listed twice`, { deviceId: peer.deviceId });
    seen.add(peer.deviceId);
    const seed = pairSeed({ roundId: input.roundId, selfId: input.selfId, secretKey: input.secretKey, peer });
    addInto(out, prgWords(seed, out.length), input.selfId < peer.deviceId ? 1 : -1);
  }
  return out;
}

/** Recovery, survivor side: this client's seeds with the clients the server declared dropped. */
export function pairwiseSeedsFor(options: {
  readonly roundId: string;
  readonly selfId: string;
  readonly secretKey: Uint8Array;
  readonly dropped: readonly SecAggPeer[];
}): RevealedSeed[] {
  return options.dropped.map((peer) => {
    const [a, b] = orderedPair(options.selfId, peer.deviceId);
    return { a, b, seed: pairSeed({ ...options, peer }) };
  });
}

export interface UnmaskInput {
  /** Masked vectors of the survivors, by device id. */
  readonly masked: ReadonlyMap<string, Uint32Array>;
  /** Survivors' sample counts (the weights; sent in clear). */
  readonly sampleCounts: ReadonlyMap<string, number>;
  /** Clients that advertised keys for the round (so others masked with them) but sent no masked vector. */
  readonly dropped: readonly string[];
  /** Exactly one seed per (survivor, dropped) pair. The round id is already bound into each seed. */
  readonly revealed: readonly RevealedSeed[];
  readonly scaleBits: number;
  /** Parameter count. */
  readonly length: number;
}

function survivorSum(input: UnmaskInput): { sum: Uint32Array; totalSamples: number } {
  if (input.masked.size === 0) throw new ProtocolError('FL_NO_UPDATES', 'no surviving masked updates to unmask');
  const sum = new Uint32Array(input.length);
  let totalSamples = 0;
  for (const [deviceId, vector] of input.masked) {
    if (vector.length !== input.length)
      throw invalid(`masked vector of ${deviceId} has the wrong length`, { deviceId });
    const n = input.sampleCounts.get(deviceId);
    if (n === undefined || !Number.isSafeInteger(n) || n < 1) {
      throw invalid(`no valid sample count for ${deviceId}`, { deviceId });
    }
    totalSamples += n;
    addInto(sum, vector, 1);
  }
  if (input.sampleCounts.size !== input.masked.size) throw invalid('sample counts given for clients without updates');
  return { sum, totalSamples };
}

/** Server side: Σ n_u Δ_u / Σ n_u over the survivors — the weighted-mean delta (FedAvg's core). */
export function unmaskAggregate(input: UnmaskInput): Float32Array {
  const dropped = new Set(input.dropped);
  for (const deviceId of input.masked.keys()) {
    // Recovery reveals this client's seeds: unmasking its late vector would expose its update in clear.
    if (dropped.has(deviceId)) throw invalid(`${deviceId} was declared dropped; its update must be refused`);
  }
  const { sum, totalSamples } = survivorSum(input);
  const pending = new Set<string>();
  for (const s of input.masked.keys()) for (const d of dropped) pending.add(orderedPair(s, d).join('\u0000'));
  for (const { a, b, seed } of input.revealed) {
    const key = `${a}\u0000${b}`;
    if (!pending.delete(key)) throw invalid(`seed for (${a}, ${b}) is not an outstanding survivor/dropped pair`);
    // The survivor added PRG(seed) if it is the lower id and subtracted it otherwise; undo that.
    const survivorIsLower = input.masked.has(a);
    addInto(sum, prgWords(seed, input.length), survivorIsLower ? -1 : 1);
  }
  if (pending.size > 0) {
    throw invalid(`${pending.size} survivor/dropped seed(s) were not revealed`, { missing: pending.size });
  }
  return decodeSum(sum, { scaleBits: input.scaleBits, divisor: totalSamples });
}
