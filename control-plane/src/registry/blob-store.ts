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

export function createFileBlobStore(options: { dir: string }): BlobStore {
  mkdirSync(options.dir, { recursive: true });
  const pathOf = (digest: string) => join(options.dir, digest);
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
      if (!(await has(digest))) return null;
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
