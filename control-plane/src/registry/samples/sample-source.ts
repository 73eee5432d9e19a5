/**
 * Where an upload's sample inputs come from, before the model is known: tabular rows (metadata
 * `sampleInputs`, kept for the callers that predate named tensors), named JSON tensors (metadata `samples`),
 * or a file part `samples` holding either CBOR `{ samples: [{ <input>: EncodedTensor }] }` or a `.npy`
 * array whose first axis indexes the samples. Exactly one source per upload; a file that is neither form
 * is refused here with BODY_INVALID, while fitting the samples to the model is sample-feeds.ts's job. An
 * upload that asks for an int8 variant may add an evaluation set in the same forms (metadata
 * `evaluationSamples` or a file part `evaluation`), larger than a self-test set may be.
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

export interface SampleLimits {
  /** Samples in one set. */
  readonly maxSamples: number;
  /** Bytes of a CBOR file of samples. */
  readonly maxBytes: number;
}

/** The self-test samples end up in the self-test set, which has the same limits. */
export const SAMPLE_LIMITS: SampleLimits = Object.freeze({
  maxSamples: SELF_TEST_LIMITS.maxVectors,
  maxBytes: SELF_TEST_LIMITS.maxBytes,
});

/**
 * The evaluation set of an int8 variant is only run at registration, never shipped: it may be larger. Both
 * versions run every sample, so the bound is on registration time as much as on memory.
 */
export const EVALUATION_LIMITS: SampleLimits = Object.freeze({ maxSamples: 1024, maxBytes: 128 * 1024 * 1024 });

function fromFile(bytes: Uint8Array, part: string, limits: SampleLimits): SampleSource {
  if (isNpy(bytes)) return { kind: 'npy', tensor: parseNpy(bytes, part) };
  try {
    const schema = z.object({ samples: z.array(encodedTensorMapSchema).min(1).max(limits.maxSamples) });
    const { samples } = decodeCbor(bytes, schema, { maxMessageBytes: limits.maxBytes, maxDepth: 8 });
    return { kind: 'tensors', samples: samples.map(decodeTensorMap) };
  } catch (cause) {
    const reason = cause instanceof EdgefleetError ? cause.message : 'unreadable';
    throw new ControlPlaneError(
      'BODY_INVALID',
      `part \`${part}\` is neither a .npy file nor CBOR { samples: [{ <input>: { dtype, dims, data } }] }: ${reason}`,
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
  return fromFile(upload.file as Uint8Array, 'samples', SAMPLE_LIMITS);
}

/** The evaluation set of an int8 variant, if the upload gives one (at most one of the two forms). */
export function evaluationSourceOf(upload: {
  samples?: readonly JsonSample[] | undefined;
  file?: Uint8Array | undefined;
}): SampleSource | undefined {
  if (upload.samples !== undefined && upload.file !== undefined) {
    throw new ControlPlaneError(
      'BODY_INVALID',
      'give the evaluation set once, not in metadata `evaluationSamples` and part `evaluation`',
    );
  }
  if (upload.samples !== undefined) return { kind: 'json', samples: upload.samples };
  return upload.file === undefined ? undefined : fromFile(upload.file, 'evaluation', EVALUATION_LIMITS);
}
