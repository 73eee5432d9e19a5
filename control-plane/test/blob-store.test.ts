import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type BlobStore, createFileBlobStore, createMemoryBlobStore } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const implementations: [string, () => BlobStore][] = [
  [
    'file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'edgefleet-blobs-'));
      dirs.push(dir);
      return createFileBlobStore({ dir });
    },
  ],
  [
    'file, bundles larger than the cache',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'edgefleet-blobs-'));
      dirs.push(dir);
      return createFileBlobStore({ dir, cacheBytes: 1024 });
    },
  ],
  ['memory', () => createMemoryBlobStore()],
];

describe.each(implementations)('BlobStore contract (%s)', (_name, create) => {
  const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);

  it('stores bytes under their sha256 and returns them whole or by range', async () => {
    const store = create();
    const digest = await store.put(bytes);
    expect(digest).toBe(sha256Hex(bytes));
    expect(await store.has(digest)).toBe(true);
    expect(await store.get(digest)).toEqual(bytes);
    expect(await store.readRange(digest, { start: 1000, end: 2024 })).toEqual(bytes.slice(1000, 2024));
    expect(await store.readRange(digest, { start: 4096, end: 8192 })).toEqual(bytes.slice(4096));
  });

  it('is idempotent for the same content', async () => {
    const store = create();
    expect(await store.put(bytes)).toBe(await store.put(bytes.slice()));
  });

  it('answers null for an unknown digest and refuses a non-digest name', async () => {
    const store = create();
    expect(await store.get('0'.repeat(64))).toBeNull();
    expect(await store.readRange('0'.repeat(64), { start: 0, end: 1 })).toBeNull();
    await expect(store.get('../../etc/passwd')).rejects.toMatchObject({ code: 'BUNDLE_UNKNOWN' });
  });
});

describe('file BlobStore chunk cache', () => {
  it('serves later ranges of a small bundle from memory, read once (the bytes survive the file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgefleet-blobs-'));
    dirs.push(dir);
    const store = createFileBlobStore({ dir, cacheBytes: 1 << 20 });
    const bytes = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256);
    const digest = await store.put(bytes);
    expect(await store.readRange(digest, { start: 0, end: 1000 })).toEqual(bytes.slice(0, 1000));
    rmSync(join(dir, digest));
    expect(await store.readRange(digest, { start: 1000, end: 3000 })).toEqual(bytes.slice(1000));
    // A returned range is a copy: changing it does not change what the next reader gets.
    const range = await store.readRange(digest, { start: 0, end: 10 });
    range?.fill(0);
    expect(await store.readRange(digest, { start: 0, end: 10 })).toEqual(bytes.slice(0, 10));
  });
});
