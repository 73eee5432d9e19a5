import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CODEC_LIMITS, decodeCbor, decodeCborUnknown, encodeCbor, ProtocolError } from '../src/index.js';
import { codeOf } from './fixtures.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('CBOR codec', () => {
  it('round-trips maps, arrays, byte strings, integers and floats', () => {
    const value = { a: 1, b: [1, 2.5, -3], c: new Uint8Array([0, 255]), d: 'text', e: null, f: true };
    const decoded = decodeCborUnknown(encodeCbor(value)) as typeof value;
    expect(decoded).toMatchObject({ a: 1, b: [1, 2.5, -3], d: 'text', e: null, f: true });
    expect(Array.from(decoded.c)).toEqual([0, 255]);
  });

  it('encodes maps deterministically whatever the key insertion order (RFC 8949 §4.2.1)', () => {
    const a = encodeCbor({ zz: 1, a: { y: 2, x: 1 }, b: 3 });
    const b = encodeCbor({ b: 3, a: { x: 1, y: 2 }, zz: 1 });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    // shorter keys sort first: "a" < "b" < "zz"
    expect(Object.keys(decodeCborUnknown(a) as object)).toEqual(['a', 'b', 'zz']);
  });

  it('orders ASCII and non-ASCII keys alike by their encoded UTF-8 bytes', () => {
    const byEncodedBytes = (a: string, b: string) => {
      const [x, y] = [Buffer.from(a), Buffer.from(b)];
      return x.length - y.length || Buffer.compare(x, y);
    };
    // "é" is 2 bytes (c3 a9): after "z" (shorter) and after "ab" (0x61 < 0xc3), before "abc".
    expect(Object.keys(decodeCborUnknown(encodeCbor({ abc: 1, é: 2, ab: 3, z: 4 })) as object)).toEqual([
      'z',
      'ab',
      'é',
      'abc',
    ]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'grapheme', maxLength: 4 }), { maxLength: 8 }), (keys) => {
        // Integer-like keys are left out: a JS object lists them first whatever the CBOR order.
        const value = Object.fromEntries(
          keys.filter((k) => k !== '__proto__' && !/^(0|[1-9]\d*)$/.test(k)).map((k) => [k, 0]),
        );
        const decoded = Object.keys(decodeCborUnknown(encodeCbor(value)) as object);
        expect(decoded).toEqual(Object.keys(value).sort(byEncodedBytes));
      }),
    );
  });

  it('drops undefined fields so optional fields stay canonical', () => {
    expect(Buffer.from(encodeCbor({ a: 1, b: undefined })).equals(Buffer.from(encodeCbor({ a: 1 })))).toBe(true);
  });

  it('rejects a message over the size limit before decoding it', () => {
    const big = encodeCbor({ blob: new Uint8Array(2000) });
    expect(codeOf(() => decodeCborUnknown(big, { maxMessageBytes: 1000 }))).toBe('MESSAGE_TOO_LARGE');
    expect(codeOf(() => decodeCborUnknown(new Uint8Array(CODEC_LIMITS.maxMessageBytes + 1)))).toBe('MESSAGE_TOO_LARGE');
  });

  it('rejects nesting deeper than the limit without recursing', () => {
    expect(() => decodeCborUnknown(encodeCbor(nested(16)))).not.toThrow();
    expect(codeOf(() => decodeCborUnknown(encodeCbor(nested(17))))).toBe('MESSAGE_TOO_DEEP');
    // 100k nested array headers would overflow a recursive decoder's stack
    const bomb = new Uint8Array(100_001).fill(0x81);
    bomb[100_000] = 0x01;
    expect(codeOf(() => decodeCborUnknown(bomb))).toBe('MESSAGE_TOO_DEEP');
  });

  it.each([
    ['truncated input', Uint8Array.from([0xa1, 0x61, 0x61])],
    ['trailing bytes', Uint8Array.from([0x01, 0x02])],
    ['a length longer than the input', Uint8Array.from([0x5a, 0xff, 0xff, 0xff, 0xff, 0x00])],
    ['an array claiming 2^32 items', Uint8Array.from([0x9b, 0, 0, 0, 1, 0, 0, 0, 0])],
    ['an indefinite-length map', Uint8Array.from([0xbf, 0x61, 0x61, 0x01, 0xff])],
    ['a tag', Uint8Array.from([0xc1, 0x1a, 0, 0, 0, 0])],
    ['empty input', new Uint8Array(0)],
    // found by the parser fuzzer: cbor-x turned each into a valid-looking value
    ['text that is not valid UTF-8', Uint8Array.from([0xa1, 0x61, 0x61, 0x62, 0x61, 0xff])],
    ['a UTF-16 surrogate half in text', Uint8Array.from([0x63, 0xed, 0xa0, 0x80])],
    ['an overlong UTF-8 encoding', Uint8Array.from([0x62, 0xc0, 0xaf])],
    ['an integer map key', Uint8Array.from([0xa1, 0x01, 0x02])],
    ['a duplicate map key', Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02])],
    ['the simple value undefined', Uint8Array.from([0x81, 0xf7])],
  ])('rejects %s as CBOR_MALFORMED', (_name, bytes) => {
    expect(codeOf(() => decodeCborUnknown(bytes))).toBe('CBOR_MALFORMED');
  });

  it('accepts multi-byte UTF-8 text and a uint64 timestamp from another encoder', () => {
    expect(decodeCborUnknown(encodeCbor({ ключ: 'größe ✓ 😀' }))).toEqual({ ключ: 'größe ✓ 😀' });
    // RFC 8949 preferred serialization of 1_795_000_000_000 is a uint64, not cbor-x's float64
    const ts = Uint8Array.from([0x1b, 0, 0, 0x01, 0xa1, 0xed, 0x5f, 0x56, 0x00]);
    expect(decodeCborUnknown(ts)).toBe(0x01a1ed5f5600);
  });

  it('refuses a __proto__ map key', () => {
    // {"__proto__": {"polluted": 1}} written by hand: encoders refuse to produce it
    const key = Buffer.from('__proto__');
    const inner = Buffer.concat([Buffer.from([0xa1, 0x68]), Buffer.from('polluted'), Buffer.from([0x01])]);
    const bytes = Buffer.concat([Buffer.from([0xa1, 0x69]), key, inner]);
    expect(codeOf(() => decodeCborUnknown(bytes))).toBe('CBOR_MALFORMED');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(codeOf(() => encodeCbor(JSON.parse('{"__proto__": 1}')))).toBe('SCHEMA_INVALID');
  });

  it('reports the failing field when the schema does not match', () => {
    const schema = z.object({ v: z.literal(1), n: z.int() });
    try {
      decodeCbor(encodeCbor({ v: 1, n: 'x' }), schema);
      expect.unreachable();
    } catch (error) {
      expect((error as ProtocolError).code).toBe('SCHEMA_INVALID');
      expect((error as ProtocolError).message).toContain('at n');
    }
  });

  it('round-trips any JSON-like value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        const normalized = JSON.parse(JSON.stringify(value));
        if (JSON.stringify(normalized).includes('"__proto__":')) return; // refused by design, tested above
        expect(decodeCborUnknown(encodeCbor(normalized))).toEqual(normalized);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a ProtocolError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          decodeCborUnknown(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('detects every single-bit flip that breaks structure and never returns garbage as a valid message (property)', () => {
    const schema = z.object({ v: z.literal(1), type: z.literal('x'), n: z.int() });
    const good = encodeCbor({ v: 1, type: 'x', n: 7 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: good.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(good);
        bad[bit >> 3] = (bad[bit >> 3] as number) ^ (1 << (bit & 7));
        try {
          const value = decodeCbor(bad, schema);
          // A flip inside the integer value can still be a valid message; it must then still satisfy the schema.
          expect(schema.safeParse(value).success).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ProtocolError);
        }
      }),
    );
  });
});
