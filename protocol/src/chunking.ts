/**
 * Bundle chunking and hashing. A bundle is split into fixed-size chunks, each hashed with sha256, so a
 * device can verify every chunk the moment it arrives and resume a download by re-hashing what it has.
 */
import { createHash } from 'node:crypto';
import { ProtocolError } from './errors/edgefleet-error.js';

export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** The most chunks a manifest lists (its schema's bound): larger bundles need larger chunks. */
export const MAX_CHUNKS = 65_536;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function chunkCount(sizeBytes: number, chunkBytes: number): number {
  return Math.ceil(sizeBytes / chunkBytes);
}

/** Byte range [start, end) of chunk `index`. */
export function chunkRange(index: number, chunkBytes: number, sizeBytes: number): { start: number; end: number } {
  const start = index * chunkBytes;
  return { start, end: Math.min(start + chunkBytes, sizeBytes) };
}

export interface ChunkedBundle {
  readonly digest: string;
  readonly sizeBytes: number;
  readonly chunkBytes: number;
  readonly chunks: readonly string[];
}

export function chunkBundle(bytes: Uint8Array, chunkBytes: number = DEFAULT_CHUNK_BYTES): ChunkedBundle {
  const count = chunkCount(bytes.length, chunkBytes);
  if (count > MAX_CHUNKS) {
    const minimum = Math.ceil(bytes.length / MAX_CHUNKS);
    throw new ProtocolError(
      'BUNDLE_TOO_LARGE',
      `a bundle of ${bytes.length} bytes in ${chunkBytes}-byte chunks has ${count} chunks, more than ${MAX_CHUNKS}: use chunkBytes of at least ${minimum}`,
      {
        details: {
          sizeBytes: bytes.length,
          chunkBytes,
          chunks: count,
          maxChunks: MAX_CHUNKS,
          minimumChunkBytes: minimum,
        },
      },
    );
  }
  const chunks: string[] = [];
  for (let i = 0; i < chunkCount(bytes.length, chunkBytes); i++) {
    const { start, end } = chunkRange(i, chunkBytes, bytes.length);
    chunks.push(sha256Hex(bytes.subarray(start, end)));
  }
  return { digest: sha256Hex(bytes), sizeBytes: bytes.length, chunkBytes, chunks };
}
