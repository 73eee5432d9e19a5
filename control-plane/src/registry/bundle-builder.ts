/**
 * Turns uploaded model bytes into a signed model manifest (DESIGN.md §3). The model is loaded in its engine
 * first (onnxruntime-node, or the mcu-int8 reference arithmetic: model-engines.ts): a file the control plane
 * cannot load would fail on every device, so it is refused here (MODEL_LOAD_FAILED). The tensor specs come
 * from the model itself, and the self-test vectors are the
 * model's own outputs on the uploaded sample rows, each run as a [1, F] batch exactly as a device will run
 * it. With reference rows, the drift reference profile is computed too (reference-profile.ts). The manifest
 * is signed by the targets role.
 */
import {
  type ChunkedBundle,
  chunkBundle,
  type ManifestBody,
  manifestBodySchema,
  type SignedDocument,
  type SigningKey,
  signDocument,
  type TrainingLineage,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';
import { type EngineRuntime, type ModelEngine, openEngine } from './model-engines.js';
import { profileFromReference, type ReferenceInput } from './reference-profile.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The declared memory need of a model (manifest `resources.memoryBytes`, issue 11), estimated rather than
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
  readonly sampleInputs: number[][];
  readonly atol: number;
  readonly quantization: 'none' | 'int8';
  readonly chunkBytes: number;
  readonly ttlDays: number;
  /** Where the version came from ('upload' unless set) and, for federated results, the training lineage. */
  readonly source?: string;
  readonly training?: TrainingLineage;
  /** `mcu-int8`: a microcontroller image, always int8 (model-engines.ts). */
  readonly runtime: EngineRuntime;
  /** Declared memory need; estimated from the file size when absent. */
  readonly memoryBytes?: number | undefined;
}

export interface BuiltBundle {
  readonly manifest: ManifestBody;
  readonly signedManifest: SignedDocument;
  readonly chunked: ChunkedBundle;
}

async function selfTestVectors(engine: ModelEngine, rows: number[][]) {
  const features = engine.input.shape[1] ?? -1;
  const vectors: { shape: number[]; input: number[]; expected: number[] }[] = [];
  for (const [i, row] of rows.entries()) {
    if (features > 0 && row.length !== features) {
      throw new ControlPlaneError(
        'INPUT_INVALID',
        `sample row ${i} has ${row.length} values, model expects ${features}`,
        {
          details: { row: i, expected: features },
        },
      );
    }
    try {
      const data = await engine.run(Float32Array.from(row), 1);
      // Round-trip through float32 so the expected values are exactly what a device computes.
      vectors.push({ shape: [1, row.length], input: Array.from(Float32Array.from(row)), expected: Array.from(data) });
    } catch (cause) {
      throw new ControlPlaneError('MODEL_LOAD_FAILED', `model failed on sample row ${i}`, {
        cause,
        details: { row: i },
      });
    }
  }
  return vectors;
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
    const { input, output } = engine;
    const vectors = await selfTestVectors(engine, metadata.sampleInputs);
    const profile =
      options.reference === undefined
        ? undefined
        : await profileFromReference({ engine, reference: options.reference });
    const chunked = chunkBundle(options.bytes, metadata.chunkBytes);
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
      inputs: [input],
      outputs: [output],
      selfTest: { input: input.name, output: output.name, atol: metadata.atol, vectors },
      resources: { memoryBytes: metadata.memoryBytes ?? estimateMemoryBytes(chunked.sizeBytes) },
      lineage: {
        parents: options.previousVersion === null ? [] : [options.previousVersion],
        source: metadata.source ?? 'upload',
        contentOf: null,
        ...(metadata.training === undefined ? {} : { training: metadata.training }),
      },
      ...(profile === undefined ? {} : { profile }),
      createdAt: options.nowMs,
      expiresAt: options.nowMs + Math.round(metadata.ttlDays * DAY_MS),
    } satisfies ManifestBody);
    return { manifest, signedManifest: signDocument(manifest, options.targetsKeys), chunked };
  } finally {
    await engine.release();
  }
}
