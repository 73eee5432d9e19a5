/**
 * The partial bundle file. Verified chunks are written at their byte offset in
 * `${stateDir}/downloads/<digest>.part` with positional writes. Resume does not trust any progress record:
 * it re-hashes every chunk range already in the file against the manifest's chunk list, so a torn write
 * (kill -9 mid-write) or a flipped byte simply fails its hash and that chunk is fetched again.
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkRange, sha256Hex } from '@edgefleet/protocol';
import type { Durability } from '../storage/atomic-file.js';
import { sha256Handle } from '../storage/file-sha256.js';

export interface ChunkPlan {
  readonly digest: string;
  readonly sizeBytes: number;
  readonly chunkBytes: number;
  readonly chunks: readonly string[];
}

export interface ChunkWriter {
  readonly path: string;
  /** Indices whose bytes in the part file are absent or do not match their hash. */
  missing(): Promise<Set<number>>;
  write(index: number, bytes: Uint8Array): Promise<void>;
  /** fsyncs (unless durability is 'none') and closes the file; returns the sha256 of the whole file and its size. */
  finish(): Promise<{ sha256: string; sizeBytes: number }>;
  close(): Promise<void>;
  /** Closes and deletes the part file. */
  discard(): Promise<void>;
}

export function partPathOf(downloadsDir: string, digest: string): string {
  return join(downloadsDir, `${digest}.part`);
}

/**
 * Opens the part file for reading and writing, creating it when absent and keeping what a previous run wrote
 * (O_RDWR | O_CREAT, no O_TRUNC): one open either way. Not append mode: positional writes are ignored in
 * append mode on Linux (pwrite(2) BUGS).
 */
function openOrCreate(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDWR | constants.O_CREAT, 0o644);
}

export async function openChunkWriter(options: {
  downloadsDir: string;
  plan: ChunkPlan;
  durability?: Durability | undefined;
}): Promise<ChunkWriter> {
  const { plan } = options;
  await mkdir(options.downloadsDir, { recursive: true });
  const path = partPathOf(options.downloadsDir, plan.digest);
  const handle = await openOrCreate(path);
  // A longer leftover file cannot be ours; cut it so the final size check is about the bytes we wrote.
  if ((await handle.stat()).size > plan.sizeBytes) await handle.truncate(plan.sizeBytes);
  let state: 'open' | 'closed' = 'open';

  async function close(): Promise<void> {
    if (state === 'closed') return;
    state = 'closed';
    await handle.close();
  }

  return {
    path,
    async missing() {
      const size = (await handle.stat()).size;
      const missing = new Set<number>();
      const buffer = Buffer.alloc(plan.chunkBytes);
      for (let index = 0; index < plan.chunks.length; index++) {
        const { start, end } = chunkRange(index, plan.chunkBytes, plan.sizeBytes);
        if (end > size) {
          missing.add(index);
          continue;
        }
        const { bytesRead } = await handle.read(buffer, 0, end - start, start);
        if (bytesRead !== end - start || sha256Hex(buffer.subarray(0, bytesRead)) !== plan.chunks[index]) {
          missing.add(index);
        }
      }
      return missing;
    },
    async write(index, bytes) {
      const { start } = chunkRange(index, plan.chunkBytes, plan.sizeBytes);
      let offset = 0;
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, start + offset);
        offset += bytesWritten;
      }
    },
    async finish() {
      if (options.durability !== 'none') await handle.sync();
      const sizeBytes = (await handle.stat()).size;
      // Hashed through the open handle: the bytes just written, without opening the file again.
      const sha256 = await sha256Handle(handle, sizeBytes);
      await close();
      return { sha256, sizeBytes };
    },
    close,
    async discard() {
      await close();
      await rm(path, { force: true });
    },
  };
}
