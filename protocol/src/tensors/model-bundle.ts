/**
 * A model bundle's layout: the model file, then the CBOR self-test set (self-test-set.ts). One digest and
 * one chunk list cover both, so the set needs no second fetch path and no second signature; the manifest's
 * `modelBytes` says where the model file ends.
 */
import { decodeCbor, encodeCbor } from '../cbor/codec.js';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { SELF_TEST_LIMITS, type SelfTestSet, selfTestSetSchema } from './self-test-set.js';

export interface PackedBundle {
  readonly bytes: Uint8Array;
  readonly modelBytes: number;
  readonly selfTestBytes: number;
}

export function packModelBundle(model: Uint8Array, set: SelfTestSet): PackedBundle {
  const tail = encodeCbor(selfTestSetSchema.parse(set));
  if (tail.byteLength > SELF_TEST_LIMITS.maxBytes) {
    throw new ProtocolError(
      'MESSAGE_TOO_LARGE',
      `self-test set is ${tail.byteLength} bytes, limit ${SELF_TEST_LIMITS.maxBytes}`,
      {
        details: { bytes: tail.byteLength, limit: SELF_TEST_LIMITS.maxBytes },
      },
    );
  }
  const bytes = new Uint8Array(model.byteLength + tail.byteLength);
  bytes.set(model, 0);
  bytes.set(tail, model.byteLength);
  return { bytes, modelBytes: model.byteLength, selfTestBytes: tail.byteLength };
}

/** Decodes the self-test set at the end of a verified bundle (or of the bytes after `modelBytes`). */
export function decodeSelfTestSet(tail: Uint8Array): SelfTestSet {
  return decodeCbor(tail, selfTestSetSchema, { maxMessageBytes: SELF_TEST_LIMITS.maxBytes, maxDepth: 8 });
}
