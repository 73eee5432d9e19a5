/**
 * Turns uploaded model bytes into a signed model manifest and the bundle it describes (DESIGN.md §3). The
 * model is loaded in its engine first (onnxruntime-node, or the mcu-int8 reference arithmetic:
 * model-engines.ts): a file the control plane cannot load would fail on every device, so it is refused
 * here. The contract (every input and output) comes from the model itself; the self-test set is every
 * output the model computes for the uploaded samples (samples/), run as a device runs them, one stream
 * for a stateful model. The bundle is the model file followed by that set (protocol packModelBundle), so
 * one digest and one chunk list cover both. With reference rows, the drift reference profile is computed
 * too (reference-profile.ts). The manifest is signed by the targets role.
 */
import {
  type ChunkedBundle,
  chunkBundle,
  encodeTensorMap,
  MAX_BUNDLE_BYTES,
  type ManifestBody,
  type ModelQuality,
  manifestBodySchema,
  type PackedBundle,
  packModelBundle,
  type SignedDocument,
  type SigningKey,
  type StatePair,
  signDocument,
  type Tolerance,
  type TrainingLineage,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';
import { type EngineRuntime, openEngine } from './model-engines.js';
import { profileFromReference, type ReferenceInput } from './reference-profile.js';
import { sampleFeeds } from './samples/sample-feeds.js';
import { runSamples, type SampleRun } from './samples/sample-runs.js';
import type { SampleSource } from './samples/sample-source.js';
import { checkStatePairs, toleranceFor } from './state-and-tolerance.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The declared memory need of a model (manifest `resources.memoryBytes`), estimated rather than
 * measured: onnxruntime keeps the initializers plus pre-packed copies of the weights and an activation arena,
 * and an RSS delta sampled in a busy control-plane process is noise. Upper-bound-ish: 3 × the file plus a
 * fixed 8 MiB for the session itself (the footprint bench measures the real delta for the iris fixture).
 * Registration may declare its own figure (`metadata.memoryBytes`).
 */
export const MEMORY_ESTIMATE = Object.freeze({ factor: 3, sessionBytes: 8 * 1024 * 1024 });

export function estimateMemoryBytes(sizeBytes: number): number {
  return Math.ceil(sizeBytes * MEMORY_ESTIMATE.factor) + MEMORY_ESTIMATE.sessionBytes;
}

export interface BundleMetadata {
  /** The sample inputs the self-test set is computed from (samples/sample-source.ts). */
  readonly samples: SampleSource;
  /** Recurrent state pairs; the samples then form one stream. */
  readonly state?: readonly StatePair[] | undefined;
  /** Self-test tolerance per output; `atol` (rtol 0) for other float outputs, exact for the rest. */
  readonly tolerance?: Readonly<Record<string, Tolerance>> | undefined;
  readonly atol: number;
  readonly quantization: 'none' | 'int8';
  readonly chunkBytes: number;
  readonly ttlDays: number;
  /** Where the version came from ('upload' unless set) and, for federated results, the training lineage. */
  readonly source?: string;
  readonly training?: TrainingLineage;
  /** `mcu-int8`: a microcontroller image, always int8 (model-engines.ts). */
  readonly runtime: EngineRuntime;
  /** Declared memory need; estimated from the model file's size when absent. */
  readonly memoryBytes?: number | undefined;
  /** A derived version's measured agreement with its parent (int8-variant/). */
  readonly quality?: ModelQuality | undefined;
}

export interface BuiltBundle {
  readonly manifest: ManifestBody;
  readonly signedManifest: SignedDocument;
  readonly chunked: ChunkedBundle;
  /** The bundle bytes the digest and chunks cover (what the BlobStore serves). */
  readonly bytes: Uint8Array;
}

function pack(model: Uint8Array, runs: readonly SampleRun[]): PackedBundle {
  try {
    return packModelBundle(model, {
      _type: 'self-test-set',
      vectors: runs.map((run) => ({ inputs: encodeTensorMap(run.inputs), outputs: encodeTensorMap(run.outputs) })),
    });
  } catch (cause) {
    if (!(cause instanceof z.ZodError)) throw cause;
    // Outputs the contract did not bound (a rank or a size the wire form cannot carry) on these samples.
    const issue = cause.issues[0];
    throw new ControlPlaneError(
      'SAMPLE_INPUTS_MISMATCH',
      `the model's outputs for these samples cannot be carried in a self-test set: ${issue?.path.join('.')} ${issue?.message}`,
      { cause },
    );
  }
}

export async function buildBundle(options: {
  bytes: Uint8Array;
  line: string;
  version: number;
  previousVersion: number | null;
  metadata: BundleMetadata;
  reference?: ReferenceInput | undefined;
  targetsKeys: readonly SigningKey[];
  nowMs: number;
}): Promise<BuiltBundle> {
  const { metadata } = options;
  const engine = await openEngine(metadata.runtime, options.bytes);
  try {
    const { inputs, outputs } = engine;
    const state = (metadata.state ?? []).map((p) => ({ input: p.input, output: p.output, init: p.init }));
    checkStatePairs(engine, state);
    const tolerance = toleranceFor(outputs, metadata.tolerance, metadata.atol);
    const stateInputs = new Map(state.map((p) => [p.input, p.output]));
    const samples = sampleFeeds(metadata.samples, {
      inputs: inputs.filter((s) => !stateInputs.has(s.name)),
      state: stateInputs,
    });
    const runs = await runSamples({ engine, samples, state });
    const profile =
      options.reference === undefined
        ? undefined
        : await profileFromReference({ engine, reference: options.reference, stateful: state.length > 0, state });
    const packed = pack(options.bytes, runs);
    if (packed.bytes.byteLength > MAX_BUNDLE_BYTES) {
      throw new ControlPlaneError(
        'BUNDLE_TOO_LARGE',
        `model and self-test set are ${packed.bytes.byteLength} bytes, limit ${MAX_BUNDLE_BYTES}`,
        { details: { limit: MAX_BUNDLE_BYTES } },
      );
    }
    const chunked = chunkBundle(packed.bytes, metadata.chunkBytes);
    const manifest = manifestBodySchema.parse({
      _type: 'manifest',
      line: options.line,
      version: options.version,
      digest: chunked.digest,
      sizeBytes: chunked.sizeBytes,
      chunkBytes: chunked.chunkBytes,
      chunks: [...chunked.chunks],
      runtime: metadata.runtime,
      quantization: metadata.runtime === 'mcu-int8' ? 'int8' : metadata.quantization,
      inputs: [...inputs],
      outputs: [...outputs],
      ...(state.length === 0 ? {} : { state }),
      modelBytes: packed.modelBytes,
      selfTest: { vectors: runs.length, bytes: packed.selfTestBytes, tolerance },
      resources: { memoryBytes: metadata.memoryBytes ?? estimateMemoryBytes(options.bytes.byteLength) },
      lineage: {
        parents: options.previousVersion === null ? [] : [options.previousVersion],
        source: metadata.source ?? 'upload',
        contentOf: null,
        ...(metadata.training === undefined ? {} : { training: metadata.training }),
      },
      ...(profile === undefined ? {} : { profile }),
      ...(metadata.quality === undefined ? {} : { quality: metadata.quality }),
      createdAt: options.nowMs,
      expiresAt: options.nowMs + Math.round(metadata.ttlDays * DAY_MS),
    } satisfies ManifestBody);
    return { manifest, signedManifest: signDocument(manifest, options.targetsKeys), chunked, bytes: packed.bytes };
  } finally {
    await engine.release();
  }
}
