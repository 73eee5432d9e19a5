import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIXED_POINT_DEFAULTS, maskedUpdate, maxSafeScaleBits, unmaskAggregate } from '../src/index.js';
import { codeOf } from './fixtures.js';

const ROUND = 'round-1';
const SCALE_BITS = 16;
const SECRET = new Uint8Array(32).fill(1);

describe('fixed-point encoding', () => {
  it('decodes exactly at the documented overflow bound and wraps one bit beyond it', () => {
    const maxTotalSamples = 1000;
    const scaleBits = maxSafeScaleBits({ maxTotalSamples, clipAbs: 1 });
    const solo = (value: number, bits: number, sampleCount: number) =>
      maskedUpdate({
        roundId: ROUND,
        selfId: `s${value}`,
        secretKey: SECRET,
        peers: [],
        delta: new Float32Array(4).fill(value),
        sampleCount,
        scaleBits: bits,
      });
    const sum = (bits: number) => {
      const masked = new Map(Array.from({ length: 10 }, (_, i) => [`c${i}`, solo(1, bits, 100)] as const));
      const sampleCounts = new Map([...masked.keys()].map((id) => [id, 100]));
      return unmaskAggregate({ masked, sampleCounts, dropped: [], revealed: [], scaleBits: bits, length: 4 });
    };
    expect([...sum(scaleBits)]).toEqual([1, 1, 1, 1]);
    expect(sum(scaleBits + 1)[0]).not.toBeCloseTo(1, 3);
    // One client alone already overflowing is caught when it encodes.
    expect(codeOf(() => solo(1, 30, 4))).toBe('FL_CONFIG_INVALID');
  });

  it('clamps coordinates to ±clipAbs and rounds within half a quantum', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -4, max: 4, noNaN: true }), { minLength: 1, maxLength: 20 }), (values) => {
        const delta = Float32Array.from(values);
        const words = maskedUpdate({
          roundId: ROUND,
          selfId: 'a',
          secretKey: SECRET,
          peers: [],
          delta,
          sampleCount: 1,
          scaleBits: SCALE_BITS,
        });
        const decoded = unmaskAggregate({
          masked: new Map([['a', words]]),
          sampleCounts: new Map([['a', 1]]),
          dropped: [],
          revealed: [],
          scaleBits: SCALE_BITS,
          length: delta.length,
        });
        const clip = FIXED_POINT_DEFAULTS.clipAbs;
        delta.forEach((v, i) => {
          expect(Math.abs(decoded[i]! - Math.min(clip, Math.max(-clip, v)))).toBeLessThanOrEqual(
            2 ** -(SCALE_BITS + 1),
          );
        });
      }),
    );
  });
});
