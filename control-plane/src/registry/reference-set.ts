/**
 * Drift reference profiles from a reference set of named tensors (DESIGN.md §4 Drift): the upload names,
 * per input, the summary features devices will count (`driftFeatures`: channel mean/std for images, RMS
 * energy or zero-crossing rate for audio frames, raw elements for small inputs) and the output whose class
 * vector (argmax, confidence, entropy) is profiled. The set arrives in the JSON forms of `samples` (numbers
 * or base64) or as a file part `referenceSamples` (.npy with the samples on its first axis, or CBOR
 * `{ samples: [...] }`), up to `REFERENCE_SET_LIMITS.maxSamples` samples. Each sample is checked against
 * the contract and run through the model as a device runs it (one stream for a stateful model); protocol
 * `summarizeForDrift` — the function the agent calls — turns every call into feature rows, and
 * `buildReferenceProfile` into bins.
 */
import {
  buildReferenceProfile,
  type DriftFeatures,
  decodeCbor,
  decodeTensorMap,
  driftFeatureNames,
  EdgefleetError,
  encodedTensorMapSchema,
  inputSummarySchema,
  OUTPUT_SUMMARIES,
  type ReferenceProfile,
  type StatePair,
  summarizeForDrift,
  type Tensor,
  type TensorMap,
  tensorNameSchema,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';
import type { ModelEngine } from './model-engines.js';
import { type JsonSample, jsonSampleSchema } from './samples/json-tensors.js';
import { isNpy, parseNpy } from './samples/npy.js';
import { sampleFeeds } from './samples/sample-feeds.js';
import { runSamples } from './samples/sample-runs.js';

export const REFERENCE_SET_LIMITS = Object.freeze({ maxSamples: 10_000, maxFileBytes: 512 * 1024 * 1024 });

/** `driftFeatures` as uploaded: the output defaults to the model's first, its summaries to none. */
export const driftFeaturesUploadSchema = z.strictObject({
  inputs: z.array(inputSummarySchema).max(64).default([]),
  output: z
    .strictObject({
      name: tensorNameSchema.optional(),
      summaries: z.array(z.enum(OUTPUT_SUMMARIES)).max(OUTPUT_SUMMARIES.length).default([]),
    })
    .default({ summaries: [] }),
});

/** The `reference` part when it describes a reference set of named tensors. */
export const tensorReferenceSchema = z.strictObject({
  /** The samples in the JSON forms of metadata `samples`; or a file part `referenceSamples`. */
  samples: z.array(jsonSampleSchema).min(1).max(REFERENCE_SET_LIMITS.maxSamples).optional(),
  driftFeatures: driftFeaturesUploadSchema,
});

export type ReferenceSource =
  | { readonly kind: 'json'; readonly samples: readonly JsonSample[] }
  | { readonly kind: 'tensors'; readonly samples: readonly TensorMap[] }
  | { readonly kind: 'npy'; readonly tensor: Tensor };

export interface TensorReference {
  readonly driftFeatures: z.output<typeof driftFeaturesUploadSchema>;
  readonly source: ReferenceSource;
}

function invalid(field: string, message: string): ControlPlaneError {
  return new ControlPlaneError('BODY_INVALID', `${field}: ${message}`, { details: { field } });
}

const cborSetSchema = z.object({
  samples: z.array(encodedTensorMapSchema).min(1).max(REFERENCE_SET_LIMITS.maxSamples),
});

function fromFile(bytes: Uint8Array): ReferenceSource {
  if (isNpy(bytes)) return { kind: 'npy', tensor: parseNpy(bytes, 'referenceSamples') };
  try {
    const { samples } = decodeCbor(bytes, cborSetSchema, {
      maxMessageBytes: REFERENCE_SET_LIMITS.maxFileBytes,
      maxDepth: 8,
    });
    return { kind: 'tensors', samples: samples.map(decodeTensorMap) };
  } catch (cause) {
    const reason = cause instanceof EdgefleetError ? cause.message : 'unreadable';
    throw new ControlPlaneError(
      'BODY_INVALID',
      `part \`referenceSamples\` is neither a .npy file nor CBOR { samples: [{ <input>: { dtype, dims, data } }] }: ${reason}`,
      { cause },
    );
  }
}

/** The reference set of an upload: JSON samples in the `reference` part, or the file part — exactly one. */
export function tensorReferenceOf(
  reference: z.output<typeof tensorReferenceSchema>,
  file: Uint8Array | undefined,
): TensorReference {
  if ((reference.samples === undefined) === (file === undefined)) {
    throw new ControlPlaneError(
      'BODY_INVALID',
      'a drift reference set is either `reference.samples` or a file part `referenceSamples`, exactly one of them',
    );
  }
  const source: ReferenceSource =
    reference.samples !== undefined ? { kind: 'json', samples: reference.samples } : fromFile(file as Uint8Array);
  return { driftFeatures: reference.driftFeatures, source };
}

/** The spec with the output named, every name checked against the contract (state inputs excluded). */
function resolveSpec(upload: TensorReference['driftFeatures'], engine: ModelEngine, state: readonly StatePair[]) {
  const stateInputs = new Set(state.map((p) => p.input));
  upload.inputs.forEach((s, i) => {
    if (!engine.inputs.some((t) => t.name === s.input) || stateInputs.has(s.input)) {
      throw invalid(`reference.driftFeatures.inputs.${i}.input`, `the model has no (non-state) input ${s.input}`);
    }
  });
  const name = upload.output.name ?? engine.outputs[0]?.name;
  if (name === undefined || !engine.outputs.some((t) => t.name === name)) {
    throw invalid('reference.driftFeatures.output.name', `the model has no output ${name}`);
  }
  const spec: DriftFeatures = { inputs: upload.inputs, output: { name, summaries: upload.output.summaries } };
  if (spec.inputs.length + spec.output.summaries.length === 0) {
    throw invalid('reference.driftFeatures', 'name at least one input summary or output summary');
  }
  return spec;
}

/** Renames a sample error so it names the reference set, not the self-test samples. */
function asReferenceError(error: unknown): unknown {
  if (!(error instanceof ControlPlaneError)) return error;
  return new ControlPlaneError(error.code, `reference ${error.message}`, { cause: error, details: error.details });
}

export async function profileFromTensors(options: {
  engine: ModelEngine;
  reference: TensorReference;
  state: readonly StatePair[];
}): Promise<ReferenceProfile> {
  const { engine, reference, state } = options;
  const spec = resolveSpec(reference.driftFeatures, engine, state);
  const stateInputs = new Map(state.map((p) => [p.input, p.output]));
  const contract = { inputs: engine.inputs.filter((s) => !stateInputs.has(s.name)), state: stateInputs };
  let runs: Awaited<ReturnType<typeof runSamples>>;
  try {
    const samples = sampleFeeds(reference.source, contract, { maxSamples: REFERENCE_SET_LIMITS.maxSamples });
    runs = await runSamples({ engine, samples, state });
  } catch (error) {
    throw asReferenceError(error);
  }
  const rows: number[][] = [];
  const outputs: number[][] = [];
  let names: string[] | undefined;
  for (const [i, run] of runs.entries()) {
    const summary = summarizeForDrift(spec, run.inputs, run.outputs);
    if (typeof summary === 'string') throw invalid(`reference sample ${i}`, summary);
    const sampleNames = driftFeatureNames(spec, run.inputs, run.outputs) as string[];
    names ??= sampleNames;
    if (sampleNames.length !== names.length || summary.classCount !== (outputs[0]?.length ?? summary.classCount)) {
      throw invalid(`reference sample ${i}`, 'its drift features or class count differ from sample 0');
    }
    for (let r = 0; r < summary.rows; r++) {
      rows.push(Array.from(summary.features.subarray(r * summary.width, (r + 1) * summary.width)));
      outputs.push(Array.from(summary.classes.subarray(r * summary.classCount, (r + 1) * summary.classCount)));
    }
  }
  if (rows.length === 0) throw invalid('reference', 'the reference set holds no samples');
  return buildReferenceProfile({ rows, outputs, featureNames: names ?? [], driftFeatures: spec });
}
