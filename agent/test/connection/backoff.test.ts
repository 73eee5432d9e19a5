import { describe, expect, it } from 'vitest';
import { createBackoff } from '../../src/connection/backoff.js';

describe('reconnect backoff (full jitter)', () => {
  it('never exceeds base·2^attempt, and reaches it as random approaches 1', () => {
    const top = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 0.999_999 });
    expect([0, 1, 2, 3].map((a) => top.delayMs(a))).toEqual([499, 999, 1999, 3999]);
  });

  it('can return zero delay (full jitter draws from [0, ceiling))', () => {
    const bottom = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 0 });
    expect(bottom.delayMs(5)).toBe(0);
  });

  it('caps the ceiling at maxMs however many attempts failed', () => {
    const top = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 0.999_999 });
    expect(top.delayMs(6)).toBe(29_999);
    expect(top.delayMs(10_000)).toBe(29_999);
  });

  it('spreads delays uniformly below the ceiling', () => {
    let i = 0;
    const values = [0.1, 0.5, 0.9];
    const backoff = createBackoff({ initialMs: 1000, maxMs: 8000, random: () => values[i++ % 3] as number });
    expect([backoff.delayMs(3), backoff.delayMs(3), backoff.delayMs(3)]).toEqual([800, 4000, 7200]);
  });

  it('refuses a cap below the base', () => {
    expect(() => createBackoff({ initialMs: 1000, maxMs: 10 })).toThrow(RangeError);
  });
});
