import { randomBytes } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkBundle, chunkRange } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { openChunkWriter, partPathOf } from '../../src/fetch/chunk-writer.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const bundle = new Uint8Array(randomBytes(5000)); // 5 chunks of 1024, the last one 904 bytes
const plan = chunkBundle(bundle, 1024);
const chunk = (i: number) => {
  const { start, end } = chunkRange(i, 1024, bundle.length);
  return bundle.subarray(start, end);
};

describe('chunk writer', () => {
  it('reports every chunk missing for a new download', async () => {
    const dir = await temp.make();
    const writer = await openChunkWriter({ downloadsDir: dir, plan });
    expect([...(await writer.missing())]).toEqual([0, 1, 2, 3, 4]);
    await writer.close();
  });

  it('writes chunks at their offsets in any order and yields the exact bundle', async () => {
    const dir = await temp.make();
    const writer = await openChunkWriter({ downloadsDir: dir, plan });
    for (const i of [4, 1, 3, 0, 2]) await writer.write(i, chunk(i));
    expect((await writer.missing()).size).toBe(0);
    const result = await writer.finish();
    expect(result).toEqual({ sha256: plan.digest, sizeBytes: bundle.length });
    expect(new Uint8Array(await readFile(writer.path))).toEqual(bundle);
  });

  it('resumes by re-hashing the part file: written chunks are not fetched again', async () => {
    const dir = await temp.make();
    const first = await openChunkWriter({ downloadsDir: dir, plan });
    await first.write(0, chunk(0));
    await first.write(3, chunk(3));
    await first.close();
    const resumed = await openChunkWriter({ downloadsDir: dir, plan });
    expect([...(await resumed.missing())]).toEqual([1, 2, 4]);
    await resumed.close();
  });

  it('treats a chunk with one corrupted byte in the part file as missing again', async () => {
    const dir = await temp.make();
    const writer = await openChunkWriter({ downloadsDir: dir, plan });
    for (let i = 0; i < 5; i++) await writer.write(i, chunk(i));
    await writer.close();
    const handle = await open(partPathOf(dir, plan.digest), 'r+');
    await handle.write(new Uint8Array([(bundle[2100] as number) ^ 0xff]), 0, 1, 2100); // inside chunk 2
    await handle.close();
    const resumed = await openChunkWriter({ downloadsDir: dir, plan });
    expect([...(await resumed.missing())]).toEqual([2]);
    await resumed.close();
  });

  it('treats a torn (short) last chunk as missing', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, `${plan.digest}.part`), bundle.subarray(0, 4500));
    const writer = await openChunkWriter({ downloadsDir: dir, plan });
    expect([...(await writer.missing())]).toEqual([4]);
    await writer.close();
  });

  it('truncates a leftover file longer than the bundle', async () => {
    const dir = await temp.make();
    await writeFile(join(dir, `${plan.digest}.part`), new Uint8Array([...bundle, 1, 2, 3]));
    const writer = await openChunkWriter({ downloadsDir: dir, plan });
    expect((await writer.missing()).size).toBe(0);
    expect((await writer.finish()).sha256).toBe(plan.digest);
  });
});
