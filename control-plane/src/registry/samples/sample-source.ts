/**
 * Where an upload's sample inputs come from, before the model is known: tabular rows (metadata
 * `sampleInputs`, kept for the callers that predate named tensors), named JSON tensors (metadata `samples`),
 * or a file part `samples` holding either CBOR `{ samples: [{ <input>: EncodedTensor }] }` or a `.npy`
 * array whose first axis indexes the samples. Exactly one source per upload; a file that is neither form
 * is refused here with BODY_INVALID, while fitting the samples to the model is sample-feeds.ts's job.
 */
import {
  decodeCbor,
  decodeTensorMap,
  EdgefleetError,
  encodedTensorMapSchema,
  SELF_TEST_LIMITS,
  type Tensor,
  type TensorMap,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';
import type { JsonSample } from './json-tensors.js';
import { isNpy, parseNpy } from './npy.js';

export type SampleSource =
  | { readonly kind: 'rows'; readonly rows: readonly (readonly number[])[] }
  | { readonly kind: 'json'; readonly samples: readonly JsonSample[] }
  | { readonly kind: 'tensors'; readonly samples: readonly TensorMap[] }
  | { readonly kind: 'npy'; readonly tensor: Tensor };

const cborSamplesSchema = z.object({
  samples: z.array(encodedTensorMapSchema).min(1).max(SELF_TEST_LIMITS.maxVectors),
});

function fromFile(bytes: Uint8Array): SampleSource {
  if (isNpy(bytes)) return { kind: 'npy', tensor: parseNpy(bytes) };
  try {
    // The samples end up in the self-test set, which has the same limit.
    const { samples } = decodeCbor(bytes, cborSamplesSchema, {
      maxMessageBytes: SELF_TEST_LIMITS.maxBytes,
      maxDepth: 8,
    });
    return { kind: 'tensors', samples: samples.map(decodeTensorMap) };
  } catch (cause) {
    const reason = cause instanceof EdgefleetError ? cause.message : 'unreadable';
    throw new ControlPlaneError(
      'BODY_INVALID',
      `part \`samples\` is neither a .npy file nor CBOR { samples: [{ <input>: { dtype, dims, data } }] }: ${reason}`,
      { cause },
    );
  }
}

export function sampleSourceOf(upload: {
  sampleInputs?: readonly (readonly number[])[] | undefined;
  samples?: readonly JsonSample[] | undefined;
  file?: Uint8Array | undefined;
}): SampleSource {
  const given = [
    upload.sampleInputs === undefined ? [] : ['metadata `sampleInputs`'],
    upload.samples === undefined ? [] : ['metadata `samples`'],
    upload.file === undefined ? [] : ['part `samples`'],
  ].flat();
  if (given.length !== 1) {
    throw new ControlPlaneError(
      'BODY_INVALID',
      given.length === 0
        ? 'sample inputs are required: metadata `sampleInputs` (rows), metadata `samples` (named tensors) or a file part `samples` (.npy or CBOR)'
        : `give the sample inputs once, not in ${given.join(' and ')}`,
    );
  }
  if (upload.sampleInputs !== undefined) return { kind: 'rows', rows: upload.sampleInputs };
  if (upload.samples !== undefined) return { kind: 'json', samples: upload.samples };
  return fromFile(upload.file as Uint8Array);
}
