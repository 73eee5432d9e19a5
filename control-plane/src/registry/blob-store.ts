/**
 * Content-addressed storage of model bundles: a bundle is stored under its sha256 digest, so storing the
 * same bytes twice is a no-op and a digest always names exactly one content. The file implementation writes
 * to a temp name and renames (atomic on POSIX), so a crash never leaves a half-written bundle under a valid
 * digest; the in-memory twin serves unit tests. Ranged reads let the fetch handler serve one chunk without
 * loading a whole bundle.
 */
import { mkdirSync } from 'node:fs';
import { open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, sha256HexSchema } from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';

export interface BlobStore {
  /** Stores bytes under their digest; returns the digest. */
  put(bytes: Uint8Array): Promise<string>;
  has(digest: string): Promise<boolean>;
  /** The whole blob, or null when unknown. */
  get(digest: string): Promise<Uint8Array | null>;
  /** Bytes [start, end) of a blob, or null when unknown. */
  readRange(digest: string, range: { start: number; end: number }): Promise<Uint8Array | null>;
}

function assertDigest(digest: string): void {
  // The digest becomes a file name: refuse anything but 64 hex chars (no path tricks).
  if (!sha256HexSchema.safeParse(digest).success) {
    throw new ControlPlaneError('BUNDLE_UNKNOWN', 'not a sha256 digest', { details: { digest } });
  }
}

/** Bytes of whole bundles kept in memory for chunk serving (createFileBlobStore's `cacheBytes`). */
export const DEFAULT_BLOB_CACHE_BYTES = 64 * 1024 * 1024;

export function createFileBlobStore(options: { dir: string; cacheBytes?: number }): BlobStore {
  mkdirSync(options.dir, { recursive: true });
  const pathOf = (digest: string) => join(options.dir, digest);
  // During a rollout thousands of devices fetch the same bundle chunk by chunk: each chunk from the file was
  // a stat, an open, a read and a close. Bundles up to a quarter of the budget are read once and served
  // from memory; a digest names one content forever, so a cached bundle is never stale. Oldest out first.
  const cacheBytes = options.cacheBytes ?? DEFAULT_BLOB_CACHE_BYTES;
  const cached = new Map<string, Promise<Uint8Array | null>>();
  const sizes = new Map<string, number>();
  let cachedBytes = 0;
  const whole = (digest: string, size: number): Promise<Uint8Array | null> => {
    let bytes = cached.get(digest);
    if (bytes === undefined) {
      bytes = readFile(pathOf(digest)).then(
        (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
        () => {
          cached.delete(digest);
          cachedBytes -= size;
          return null;
        },
      );
      cached.set(digest, bytes);
      cachedBytes += size;
      for (const [oldest] of cached) {
        if (cachedBytes <= cacheBytes || oldest === digest) break;
        cached.delete(oldest);
        cachedBytes -= sizes.get(oldest) ?? 0;
      }
    }
    return bytes;
  };
  const sizeOf = async (digest: string): Promise<number | null> => {
    assertDigest(digest);
    let size = sizes.get(digest);
    if (size === undefined) {
      const found = await stat(pathOf(digest)).catch(() => null);
      if (found === null) return null;
      size = found.size;
      sizes.set(digest, size);
    }
    return size;
  };
  const has = async (digest: string) => {
    assertDigest(digest);
    return stat(pathOf(digest)).then(
      () => true,
      () => false,
    );
  };
  return {
    async put(bytes) {
      const digest = sha256Hex(bytes);
      if (await has(digest)) return digest;
      const tmp = `${pathOf(digest)}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, bytes, { flush: true });
      await rename(tmp, pathOf(digest));
      return digest;
    },
    has,
    async get(digest) {
      if (!(await has(digest))) return null;
      return new Uint8Array(await readFile(pathOf(digest)));
    },
    async readRange(digest, range) {
      const size = await sizeOf(digest);
      if (size === null) return null;
      if (size <= cacheBytes / 4) {
        const bytes = await whole(digest, size);
        return bytes === null ? null : bytes.slice(range.start, range.end);
      }
      const handle = await open(pathOf(digest), 'r');
      try {
        const out = new Uint8Array(Math.max(0, range.end - range.start));
        const { bytesRead } = await handle.read(out, 0, out.length, range.start);
        return out.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
  };
}

export function createMemoryBlobStore(): BlobStore {
  const blobs = new Map<string, Uint8Array>();
  return {
    async put(bytes) {
      const digest = sha256Hex(bytes);
      if (!blobs.has(digest)) blobs.set(digest, bytes.slice());
      return digest;
    },
    async has(digest) {
      assertDigest(digest);
      return blobs.has(digest);
    },
    async get(digest) {
      assertDigest(digest);
      return blobs.get(digest)?.slice() ?? null;
    },
    async readRange(digest, range) {
      assertDigest(digest);
      return blobs.get(digest)?.slice(range.start, range.end) ?? null;
    },
  };
}
