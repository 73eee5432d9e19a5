import { iidPartition, MNIST_PIXELS, mnistDigits, mnistSplit, shardPartition } from '@edgefleet/test/datasets';
import { describe, expect, it } from 'vitest';

/** Byte equality: vitest's deep equality is far too slow for a 1.5-million-value Float32Array. */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function classesOf(labels: Uint8Array, indices: readonly number[]): Set<number> {
  return new Set(indices.map((i) => labels[i] as number));
}

describe('MNIST data and client partitions', () => {
  it('loads the 10,000 digits the mnist package ships, pixels in [0, 1]', () => {
    const digits = mnistDigits();
    expect(digits.n).toBe(10_000);
    expect(digits.x).toHaveLength(10_000 * MNIST_PIXELS);
    expect(classesOf(digits.y, [...digits.y.keys()])).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    expect(Math.max(...digits.x.subarray(0, 50_000))).toBeLessThanOrEqual(1);
  });

  it('splits 8,000/2,000 the same way every time for a seed', () => {
    const a = mnistSplit();
    const b = mnistSplit();
    expect([a.train.n, a.test.n]).toEqual([8000, 2000]);
    expect(sameBytes(b.train.y, a.train.y) && sameBytes(b.test.x, a.test.x)).toBe(true);
    expect(sameBytes(mnistSplit({ seed: 1 }).train.y, a.train.y)).toBe(false);
    // Every class lands in both halves in roughly its share.
    for (let digit = 0; digit < 10; digit++) {
      const share = a.test.y.filter((y) => y === digit).length / 2000;
      expect(share).toBeGreaterThan(0.06);
      expect(share).toBeLessThan(0.14);
    }
  });

  it('deals IID parts of equal size that cover the set exactly once', () => {
    const parts = iidPartition({ n: 8000, clients: 100, seed: 3 });
    expect(parts.map((p) => p.length)).toEqual(new Array(100).fill(80));
    expect(new Set(parts.flat()).size).toBe(8000);
    const { train } = mnistSplit();
    expect(classesOf(train.y, parts[0] as number[]).size).toBeGreaterThanOrEqual(7);
  });

  it('gives each non-IID client two label-sorted shards, so most see only two digits (McMahan 2017 §3)', () => {
    const { train } = mnistSplit();
    const parts = shardPartition({ labels: train.y, clients: 100, shardsPerClient: 2, seed: 3 });
    expect(parts.map((p) => p.length)).toEqual(new Array(100).fill(80));
    expect(new Set(parts.flat()).size).toBe(8000);
    const classCounts = parts.map((p) => classesOf(train.y, p).size);
    expect(Math.max(...classCounts)).toBeLessThanOrEqual(4);
    expect(classCounts.filter((c) => c <= 2).length).toBeGreaterThanOrEqual(80);
  });
});
