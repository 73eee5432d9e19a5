/**
 * Input generators for the parser fuzzers (fast-check): mutations of a valid seed, at two levels. Tree
 * mutations replace or damage one node of the seed's CBOR tree (a random value, invalid UTF-8, a duplicate
 * or integer map key, a dropped field, a tag, an odd simple value), so most inputs stay close enough to
 * valid to reach the schema and the semantic checks behind the codec. Byte mutations flip, insert, delete
 * or truncate the seed's encoding to exercise the codec's structural checks.
 */
import fc from 'fast-check';
import { type CborNode, encodeNode } from './strict-cbor.js';

const INVALID_UTF8: readonly number[][] = [
  [0xff],
  [0xc3], // truncated 2-byte sequence
  [0xe2, 0x82], // truncated 3-byte sequence
  [0xed, 0xa0, 0x80], // UTF-16 surrogate half (RFC 3629 §3)
  [0xc0, 0xaf], // overlong '/'
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x80],
];

const textLeaf: fc.Arbitrary<CborNode> = fc.oneof(
  fc.string({ maxLength: 70 }).map((s) => ({ t: 'text', v: new TextEncoder().encode(s) }) as const),
  fc
    .tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...INVALID_UTF8), fc.string({ maxLength: 8 }))
    .map(([a, bad, b]) => {
      const enc = new TextEncoder();
      return { t: 'text', v: Uint8Array.from([...enc.encode(a), ...bad, ...enc.encode(b)]) } as const;
    }),
);

const leaf: fc.Arbitrary<CborNode> = fc.oneof(
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n - 1n }).map((v) => ({ t: 'int', v }) as const),
  fc.integer({ min: -5, max: 300 }).map((v) => ({ t: 'int', v: BigInt(v) }) as const),
  fc.double().map((v) => ({ t: 'float', v }) as const),
  fc.uint8Array({ maxLength: 70 }).map((v) => ({ t: 'bytes', v }) as const),
  textLeaf,
  fc.integer({ min: 0, max: 255 }).map((v) => ({ t: 'simple', v }) as const),
);

export const anyNode: fc.Arbitrary<CborNode> = fc.letrec<{ node: CborNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }).map((v) => ({ t: 'array', v }) as const),
    fc.array(fc.tuple(fc.oneof(textLeaf, leaf), tie('node')), { maxLength: 4 }).map((v) => ({ t: 'map', v }) as const),
    fc.tuple(fc.nat(1000), tie('node')).map(([tag, v]) => ({ t: 'tag', tag, v }) as const),
  ),
})).node;

type TreeMutation =
  | { readonly kind: 'replace'; readonly with: CborNode }
  | { readonly kind: 'bad-utf8'; readonly bad: readonly number[] }
  | { readonly kind: 'duplicate-key'; readonly with: CborNode }
  | { readonly kind: 'int-key'; readonly key: bigint }
  | { readonly kind: 'drop-entry' }
  | { readonly kind: 'tag'; readonly tag: number };

const treeMutation: fc.Arbitrary<TreeMutation> = fc.oneof(
  anyNode.map((w) => ({ kind: 'replace', with: w }) as const),
  fc.constantFrom(...INVALID_UTF8).map((bad) => ({ kind: 'bad-utf8', bad }) as const),
  anyNode.map((w) => ({ kind: 'duplicate-key', with: w }) as const),
  fc.bigInt({ min: -3n, max: 40n }).map((key) => ({ kind: 'int-key', key }) as const),
  fc.constant({ kind: 'drop-entry' } as const),
  fc.nat(300).map((tag) => ({ kind: 'tag', tag }) as const),
);

function countNodes(node: CborNode): number {
  if (node.t === 'array') return 1 + node.v.reduce((n, c) => n + countNodes(c), 0);
  if (node.t === 'map') return 1 + node.v.reduce((n, [k, v]) => n + countNodes(k) + countNodes(v), 0);
  if (node.t === 'tag') return 1 + countNodes(node.v);
  return 1;
}

function applyAt(node: CborNode, target: number, m: TreeMutation): { node: CborNode; seen: number } {
  if (target === 0) return { node: mutateNode(node, m), seen: countNodes(node) };
  let seen = 1;
  if (node.t === 'array') {
    const v = node.v.map((child) => {
      const r = applyAt(child, target - seen, m);
      seen += r.seen;
      return r.node;
    });
    return { node: { t: 'array', v }, seen };
  }
  if (node.t === 'map') {
    const v = node.v.map(([k, val]) => {
      const rk = applyAt(k, target - seen, m);
      seen += rk.seen;
      const rv = applyAt(val, target - seen, m);
      seen += rv.seen;
      return [rk.node, rv.node] as const;
    });
    return { node: { t: 'map', v }, seen };
  }
  if (node.t === 'tag') {
    const r = applyAt(node.v, target - seen, m);
    return { node: { ...node, v: r.node }, seen: seen + r.seen };
  }
  return { node, seen };
}

function mutateNode(node: CborNode, m: TreeMutation): CborNode {
  switch (m.kind) {
    case 'replace':
      return m.with;
    case 'tag':
      return { t: 'tag', tag: m.tag, v: node };
    case 'bad-utf8':
      if (node.t !== 'text') return { t: 'text', v: Uint8Array.from(m.bad) };
      return { t: 'text', v: Uint8Array.from([...node.v.slice(0, 3), ...m.bad, ...node.v.slice(3)]) };
    case 'duplicate-key':
      if (node.t !== 'map' || node.v.length === 0) return m.with;
      return { t: 'map', v: [...node.v, [node.v[0]![0], m.with]] };
    case 'int-key':
      if (node.t !== 'map' || node.v.length === 0) return { t: 'int', v: m.key };
      return { t: 'map', v: [[{ t: 'int', v: m.key }, node.v[0]![1]], ...node.v.slice(1)] };
    case 'drop-entry':
      if (node.t === 'map') return { t: 'map', v: node.v.slice(1) };
      if (node.t === 'array') return { t: 'array', v: node.v.slice(1) };
      return node;
  }
}

/** A tree mutation of `seed`, encoded with the independent encoder. */
export function treeMutant(seed: CborNode): fc.Arbitrary<Uint8Array> {
  const size = countNodes(seed);
  return fc.tuple(fc.nat(size - 1), treeMutation).map(([at, m]) => encodeNode(applyAt(seed, at, m).node));
}

type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'truncate'; at: number };

function applyBytes(seed: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let out = Array.from(seed);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'flip' && at < out.length) out[at] = (out[at] as number) ^ (1 << m.bit);
    else if (m.kind === 'set' && at < out.length) out[at] = m.value;
    else if (m.kind === 'insert') out.splice(at, 0, ...m.bytes);
    else if (m.kind === 'delete') out.splice(at, m.count);
    else if (m.kind === 'truncate') out = out.slice(0, at);
  }
  return Uint8Array.from(out);
}

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 9 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

/** One to four byte-level mutations of `seed`. */
export function byteMutant(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(byteMutation, { minLength: 1, maxLength: 4 }).map((ms) => applyBytes(seed, ms));
}

/** Tree mutants, byte mutants and (rarely) unrelated random bytes, for one seed encoding. */
export function mutantsOf(seed: CborNode): fc.Arbitrary<Uint8Array> {
  const bytes = encodeNode(seed);
  return fc.oneof(
    { arbitrary: treeMutant(seed), weight: 6 },
    { arbitrary: byteMutant(bytes), weight: 3 },
    { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
  );
}
