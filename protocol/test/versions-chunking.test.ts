import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertUpgradeAllowed,
  chunkBundle,
  chunkCount,
  chunkRange,
  MAX_CHUNKS,
  type ProtocolError,
} from '../src/index.js';

describe('version ordering', () => {
  const accepted = { version: 5, digest: 'a'.repeat(64) };

  it('accepts the first version of a line, a higher version, and the same version with the same content', () => {
    expect(() => assertUpgradeAllowed('iris', undefined, { version: 1, digest: 'b'.repeat(64) })).not.toThrow();
    expect(() => assertUpgradeAllowed('iris', accepted, { version: 6, digest: 'b'.repeat(64) })).not.toThrow();
    expect(() => assertUpgradeAllowed('iris', accepted, accepted)).not.toThrow();
  });

  it('rejects a lower version and a known version with other content', () => {
    for (const next of [
      { version: 4, digest: 'a'.repeat(64) },
      { version: 5, digest: 'c'.repeat(64) },
    ]) {
      try {
        assertUpgradeAllowed('iris', accepted, next);
        expect.unreachable();
      } catch (error) {
        expect((error as ProtocolError).code).toBe('DOWNGRADE');
      }
    }
  });
});

describe('chunking', () => {
  it('splits a bundle so that the chunk hashes cover every byte exactly once (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 5000 }), fc.integer({ min: 1, max: 700 }), (bytes, size) => {
        const bundle = chunkBundle(bytes, size);
        expect(bundle.chunks).toHaveLength(chunkCount(bytes.length, size));
        const parts = bundle.chunks.map((_, i) => {
          const { start, end } = chunkRange(i, size, bytes.length);
          return bytes.subarray(start, end);
        });
        expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
        parts.forEach((part, i) => {
          expect(createHash('sha256').update(part).digest('hex')).toBe(bundle.chunks[i]);
        });
        expect(bundle.digest).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('refuses more chunks than a manifest can list, naming the chunk size that would fit', () => {
    expect(chunkBundle(new Uint8Array(MAX_CHUNKS), 1).chunks).toHaveLength(MAX_CHUNKS);
    let refused: ProtocolError | undefined;
    try {
      chunkBundle(new Uint8Array(MAX_CHUNKS + 1), 1);
    } catch (error) {
      refused = error as ProtocolError;
    }
    expect(refused?.code).toBe('BUNDLE_TOO_LARGE');
    expect(refused?.message).toMatch(/65537 chunks, more than 65536: use chunkBytes of at least 2/);
  });
});
