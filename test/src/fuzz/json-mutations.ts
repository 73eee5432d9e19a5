/**
 * Mutations of a valid JSON request body for the HTTP fuzzers: a value replaced, a field dropped or an
 * unknown one added anywhere in the tree, or — on the wire — bytes flipped, cut or inserted and invalid
 * UTF-8 slipped into a string (RFC 8259 §8.1: JSON text exchanged between systems must be UTF-8).
 */
import fc from 'fast-check';
import { byteMutant } from './mutations.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = ReadonlyArray<string | number>;

function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

function update(value: Json, path: Path, fn: (v: Json) => Json | undefined): Json | undefined {
  if (path.length === 0) return fn(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const out = value.flatMap((v, i) => {
      if (i !== head) return [v];
      const next = update(v, rest, fn);
      return next === undefined ? [] : [next];
    });
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      const next = k === head ? update(v, rest, fn) : v;
      if (next !== undefined) out[k] = next;
    }
    return out;
  }
  return value;
}

const interesting: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>('', 'lab', 'iris', '-x', 'A', -1, 0, 1, 1.5, 2 ** 31, 2 ** 53 + 2, -1e308, [], {}, null, true),
  fc.string({ maxLength: 300 }),
);

const INVALID_UTF8 = [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]];

/** Mutated JSON texts of `seed` as request-body bytes. */
export function jsonMutants(seed: Json): fc.Arbitrary<Uint8Array> {
  const paths = pathsOf(seed);
  const text = new TextEncoder().encode(JSON.stringify(seed));
  const tree = fc
    .tuple(
      fc.nat(paths.length - 1),
      fc.constantFrom('replace', 'drop', 'add'),
      interesting,
      fc.string({ maxLength: 12 }),
    )
    .map(([at, kind, value, key]) => {
      const path = paths[at] as Path;
      const mutated = update(seed, path, (v) => {
        if (kind === 'replace') return value;
        if (kind === 'drop') return undefined;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) return { ...v, [key]: value };
        return value;
      });
      return new TextEncoder().encode(mutated === undefined ? '' : JSON.stringify(mutated));
    });
  // Into an existing string (after one of its quotes), or as an extra member's name `{"<bad>":1,...`.
  const badUtf8 = fc.tuple(fc.nat(), fc.constantFrom(...INVALID_UTF8), fc.boolean()).map(([n, bad, extraKey]) => {
    if (extraKey && text[0] === 0x7b) {
      return Uint8Array.from([0x7b, 0x22, ...bad, 0x22, 0x3a, 0x31, 0x2c, ...text.subarray(1)]);
    }
    const quotes = [...text.keys()].filter((i) => text[i] === 0x22);
    const at = (quotes[n % quotes.length] ?? 0) + 1;
    return Uint8Array.from([...text.subarray(0, at), ...bad, ...text.subarray(at)]);
  });
  return fc.oneof(
    { arbitrary: tree, weight: 6 },
    { arbitrary: byteMutant(text), weight: 2 },
    { arbitrary: badUtf8, weight: 1 },
    { arbitrary: fc.constant(text), weight: 1 },
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The JSON value of request-body bytes, or undefined when they are not UTF-8 JSON text. */
export function strictJson(bytes: Uint8Array): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(strictUtf8.decode(bytes)) };
  } catch {
    return undefined;
  }
}
