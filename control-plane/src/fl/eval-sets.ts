/**
 * Held-out evaluation sets for federated jobs. An operator uploads one (CBOR: features, float32 rows,
 * uint8 labels) once; it is stored in the blob store under its digest and jobs refer to it by digest. It
 * stays on the control plane: devices never receive it.
 */
import { bytesSchema, decodeCbor, encodeCbor, float32FromBytes, float32ToBytes } from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';
import type { BlobStore } from '../registry/blob-store.js';
import type { EvalSet } from './evaluator.js';
import type { FlStore } from './fl-store.js';

/** 64 MiB: the MNIST test split (2,000 × 784 float32) is 6.3 MB. */
export const MAX_EVAL_SET_BYTES = 64 * 1024 * 1024;

export const evalSetWireSchema = z.object({
  features: z.int().min(1).max(65_536),
  /** Little-endian float32, row-major. */
  x: bytesSchema,
  /** One class id per row. */
  y: bytesSchema,
});

export interface StoredEvalSet {
  readonly digest: string;
  readonly rows: number;
  readonly features: number;
}

export function createEvalSets(options: { blobs: BlobStore; store: FlStore; now: () => number }) {
  const { blobs, store } = options;
  const cache = new Map<string, EvalSet>();
  return {
    /** Validates and stores an uploaded set (CBOR bytes as sent); returns its digest. */
    async put(bytes: Uint8Array): Promise<StoredEvalSet> {
      const wire = decodeCbor(bytes, evalSetWireSchema, { maxMessageBytes: MAX_EVAL_SET_BYTES });
      const rows = wire.y.length;
      if (rows === 0 || wire.x.length !== rows * wire.features * 4) {
        throw new ControlPlaneError('BODY_INVALID', `x must hold ${rows} rows × ${wire.features} float32 values`, {
          details: { xBytes: wire.x.length, rows, features: wire.features },
        });
      }
      const digest = await blobs.put(bytes);
      await store.insertEvalSet({ digest, rows, features: wire.features, createdAt: options.now() });
      return { digest, rows, features: wire.features };
    },
    async get(digest: string): Promise<EvalSet> {
      const cached = cache.get(digest);
      if (cached !== undefined) return cached;
      const bytes = (await store.evalSet(digest)) === undefined ? null : await blobs.get(digest);
      if (bytes === null)
        throw new ControlPlaneError('NOT_FOUND', `no evaluation set ${digest}`, { details: { digest } });
      const wire = decodeCbor(bytes, evalSetWireSchema, { maxMessageBytes: MAX_EVAL_SET_BYTES });
      const set = { x: float32FromBytes(wire.x), y: Uint8Array.from(wire.y), features: wire.features };
      cache.set(digest, set);
      return set;
    },
  };
}

export type EvalSets = ReturnType<typeof createEvalSets>;

/** Encodes an evaluation set for upload (the CLI, tests and experiment scripts use it). */
export function encodeEvalSet(set: EvalSet): Uint8Array {
  return encodeCbor({ features: set.features, x: float32ToBytes(set.x), y: Uint8Array.from(set.y) });
}
