import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import {
  addGaussianNoise,
  type MaskedUpdateInput,
  maskedUpdate,
  pairwiseSeedsFor,
  type SecAggKeyPair,
  secAggKeyPair,
  unmaskAggregate,
} from '../src/index.js';
import { codeOf } from './fixtures.js';

const ROUND = 'round-7';
const LENGTH = 2000;
const SCALE_BITS = 16;

function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

function gaussian(n: number, stdDev = 0.01, length = LENGTH): Float32Array {
  return addGaussianNoise(new Float32Array(length), { stdDev, seed: seed(100 + n) });
}

interface Client {
  readonly id: string;
  readonly keys: SecAggKeyPair;
  readonly delta: Float32Array;
  readonly sampleCount: number;
}

function clients(count: number): Client[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `dev-${i}`,
    keys: secAggKeyPair(seed(i + 1)),
    delta: gaussian(i),
    sampleCount: 10 + 7 * i,
  }));
}

function mask(client: Client, all: readonly Client[], extra: Partial<MaskedUpdateInput> = {}): Uint32Array {
  return maskedUpdate({
    roundId: ROUND,
    selfId: client.id,
    secretKey: client.keys.secretKey,
    peers: all.filter((c) => c !== client).map((c) => ({ deviceId: c.id, publicKey: c.keys.publicKey })),
    delta: client.delta,
    sampleCount: client.sampleCount,
    scaleBits: SCALE_BITS,
    ...extra,
  });
}

/** The plain weighted mean, coordinate by coordinate in float64 — the specification of the result. */
function expectedMean(group: readonly Client[]): number[] {
  const total = group.reduce((n, c) => n + c.sampleCount, 0);
  return Array.from({ length: LENGTH }, (_, i) => group.reduce((s, c) => s + c.sampleCount * c.delta[i]!, 0) / total);
}

function maxAbsError(actual: Float32Array, expected: readonly number[]): number {
  return expected.reduce((max, e, i) => Math.max(max, Math.abs(actual[i]! - e)), 0);
}

function correlation(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]! / n;
    my += ys[i]! / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function unmaskInput(group: readonly Client[], masked: Map<string, Uint32Array>, dropped: readonly Client[]) {
  const revealed = group
    .filter((c) => masked.has(c.id))
    .flatMap((c) =>
      pairwiseSeedsFor({
        roundId: ROUND,
        selfId: c.id,
        secretKey: c.keys.secretKey,
        dropped: dropped.map((d) => ({ deviceId: d.id, publicKey: d.keys.publicKey })),
      }),
    );
  const survivors = group.filter((c) => masked.has(c.id));
  return {
    masked,
    sampleCounts: new Map(survivors.map((c) => [c.id, c.sampleCount])),
    dropped: dropped.map((d) => d.id),
    revealed,
    scaleBits: SCALE_BITS,
    length: LENGTH,
  };
}

describe('secure-aggregation keys and seeds', () => {
  it('derives X25519 public keys byte-identical to tweetnacl', () => {
    const pair = secAggKeyPair(seed(9));
    expect(Buffer.from(pair.publicKey).equals(Buffer.from(nacl.scalarMult.base(seed(9))))).toBe(true);
    expect(secAggKeyPair().publicKey).not.toEqual(secAggKeyPair().publicKey);
  });

  it('gives both ends of a pair the same seed, named (lower id, higher id), and a new one every round', () => {
    const [u, v] = clients(2) as [Client, Client];
    const fromU = pairwiseSeedsFor({
      roundId: ROUND,
      selfId: u.id,
      secretKey: u.keys.secretKey,
      dropped: [v].map((c) => ({ deviceId: c.id, publicKey: c.keys.publicKey })),
    });
    const fromV = pairwiseSeedsFor({
      roundId: ROUND,
      selfId: v.id,
      secretKey: v.keys.secretKey,
      dropped: [{ deviceId: u.id, publicKey: u.keys.publicKey }],
    });
    expect(fromU).toEqual(fromV);
    expect(fromU[0]).toMatchObject({ a: 'dev-0', b: 'dev-1' });
    const nextRound = pairwiseSeedsFor({
      roundId: 'round-8',
      selfId: u.id,
      secretKey: u.keys.secretKey,
      dropped: [{ deviceId: v.id, publicKey: v.keys.publicKey }],
    });
    expect(nextRound[0]!.seed).not.toEqual(fromU[0]!.seed);
  });

  it('refuses a low-order (all-zero) or malformed peer public key', () => {
    const [u] = clients(1) as [Client];
    for (const publicKey of [new Uint8Array(32), new Uint8Array(31)]) {
      expect(
        codeOf(() =>
          pairwiseSeedsFor({
            roundId: ROUND,
            selfId: u.id,
            secretKey: u.keys.secretKey,
            dropped: [{ deviceId: 'x', publicKey }],
          }),
        ),
      ).toBe('FL_SECAGG_INVALID');
    }
  });
});

describe('masked updates', () => {
  it('sum to the weighted mean of the clients when nobody drops', () => {
    const group = clients(6);
    const masked = new Map(group.map((c) => [c.id, mask(c, group)]));
    const mean = unmaskAggregate(unmaskInput(group, masked, []));
    // Rounding: at most 6 · 2^-17 over Σ n in the mean; float32 output adds ~1e-9 at these magnitudes.
    expect(maxAbsError(mean, expectedMean(group))).toBeLessThan(1e-6);
  });

  it('hide the update: one masked vector is uncorrelated with its delta, while the plain encoding is not', () => {
    const group = clients(3);
    const client = group[0]!;
    const signed = (words: Uint32Array) => new Int32Array(words.buffer);
    expect(Math.abs(correlation(signed(mask(client, group)), client.delta))).toBeLessThan(0.1);
    expect(correlation(signed(mask(client, [client])), client.delta)).toBeGreaterThan(0.99);
  });

  it('recover the survivors’ weighted mean when clients drop after masking, from the revealed seeds', () => {
    const group = clients(10);
    const dropped = group.slice(0, 3);
    const masked = new Map(group.filter((c) => !dropped.includes(c)).map((c) => [c.id, mask(c, group)]));
    const survivors = group.filter((c) => masked.has(c.id));
    expect(maxAbsError(unmaskAggregate(unmaskInput(group, masked, dropped)), expectedMean(survivors))).toBeLessThan(
      1e-6,
    );
  });

  it('give a wrong sum when a revealed seed is wrong (recovery is what cancels the dropped masks)', () => {
    const group = clients(5);
    const dropped = [group[4]!];
    const masked = new Map(group.slice(0, 4).map((c) => [c.id, mask(c, group)]));
    const input = unmaskInput(group, masked, dropped);
    const tampered = input.revealed.map((r, i) => (i === 0 ? { ...r, seed: seed(77) } : r));
    const error = maxAbsError(unmaskAggregate({ ...input, revealed: tampered }), expectedMean(group.slice(0, 4)));
    expect(error).toBeGreaterThan(1);
  });

  it('reject the inputs of an inconsistent recovery', () => {
    const group = clients(4);
    const dropped = [group[3]!];
    const masked = new Map(group.slice(0, 3).map((c) => [c.id, mask(c, group)]));
    const input = unmaskInput(group, masked, dropped);
    expect(codeOf(() => unmaskAggregate({ ...input, revealed: input.revealed.slice(1) }))).toBe('FL_SECAGG_INVALID');
    expect(codeOf(() => unmaskAggregate({ ...input, revealed: [...input.revealed, input.revealed[0]!] }))).toBe(
      'FL_SECAGG_INVALID',
    );
    // A late update from a client already declared dropped must be refused: its seeds are now public.
    const late = new Map([...masked, [group[3]!.id, mask(group[3]!, group)]]);
    expect(codeOf(() => unmaskAggregate({ ...input, masked: late }))).toBe('FL_SECAGG_INVALID');
    expect(codeOf(() => unmaskAggregate({ ...input, length: LENGTH + 1 }))).toBe('FL_SECAGG_INVALID');
    expect(codeOf(() => unmaskAggregate({ ...input, sampleCounts: new Map() }))).toBe('FL_SECAGG_INVALID');
    expect(codeOf(() => unmaskAggregate({ ...input, masked: new Map(), sampleCounts: new Map() }))).toBe(
      'FL_NO_UPDATES',
    );
  });

  it('reject a NaN/Inf delta, a bad sample count and a peer listed twice', () => {
    const group = clients(2);
    const client = group[0]!;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const delta = new Float32Array(client.delta);
      delta[5] = bad;
      expect(codeOf(() => mask(client, group, { delta }))).toBe('FL_UPDATE_INVALID');
    }
    for (const sampleCount of [0, -1, 1.5])
      expect(codeOf(() => mask(client, group, { sampleCount }))).toBe('FL_UPDATE_INVALID');
    const peer = { deviceId: group[1]!.id, publicKey: group[1]!.keys.publicKey };
    expect(codeOf(() => mask(client, group, { peers: [peer, peer] }))).toBe('FL_SECAGG_INVALID');
  });
});
