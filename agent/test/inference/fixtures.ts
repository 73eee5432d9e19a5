/**
 * Inference-test fixtures: manifests for a model contract (the iris classifier's by default), in-memory
 * models whose runs can be held open, to observe what happens to in-flight predictions during a swap, and
 * the service entry that activates a loaded model. The inference service reads only a manifest's contract
 * (inputs, outputs, state, profile), so the bundle fields describe a bundle that is never fetched.
 */
import {
  type ManifestBody,
  manifestBodySchema,
  type StatePair,
  systemClock,
  type TensorSpec,
} from '@edgefleet/protocol';
import { createMemoryRuntime } from '../../src/runtime/memory-runtime.js';
import type { LoadedModel, TensorData } from '../../src/runtime/runtime.js';

export const clock = systemClock;

export interface Contract {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly state?: readonly StatePair[];
}

/** The iris classifier's contract with `features` inputs per row (`N` rows, symbolic). */
export function irisContract(features = 4): Contract {
  return {
    inputs: [{ name: 'features', dtype: 'float32', shape: ['N', features] }],
    outputs: [{ name: 'probabilities', dtype: 'float32', shape: ['N', 3] }],
  };
}

export function manifestFor(line: string, version: number, contract: Contract = irisContract()): ManifestBody {
  return manifestBodySchema.parse({
    _type: 'manifest',
    line,
    version,
    digest: 'a'.repeat(64),
    sizeBytes: 1024,
    chunkBytes: 1024,
    chunks: ['b'.repeat(64)],
    runtime: 'onnx',
    quantization: 'none',
    inputs: [...contract.inputs],
    outputs: [...contract.outputs],
    ...(contract.state === undefined ? {} : { state: [...contract.state] }),
    modelBytes: 1000,
    selfTest: { vectors: 1, bytes: 24, tolerance: {} },
    lineage: { parents: [], source: 'test', contentOf: null },
    createdAt: 0,
    expiresAt: 2 ** 40,
  } satisfies ManifestBody);
}

/** Output row r = [sum(row r) * version, version, -version]: easy to tell which version answered. */
function answerAs(version: number) {
  return (input: TensorData): TensorData => {
    const rows = input.shape[0] ?? 0;
    const width = input.shape[1] ?? 0;
    const out = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let i = 0; i < width; i++) sum += input.data[r * width + i] as number;
      out.set([sum * version, version, -version], r * 3);
    }
    return { data: out, shape: [rows, 3] };
  };
}

export interface GatedModel extends LoadedModel {
  /** Resolves every run started so far. */
  openGate(): void;
  readonly closed: () => boolean;
  readonly started: () => number;
}

/** A model whose runs wait until `openGate()`, and that records when it was closed. */
export async function gatedModel(version: number): Promise<GatedModel> {
  let release: Array<() => void> = [];
  let started = 0;
  let closed = false;
  const inner = await createMemoryRuntime({
    gated: async (input) => {
      started += 1;
      await new Promise<void>((resolve) => release.push(resolve));
      return answerAs(version)(input);
    },
  }).load({ modelPath: 'gated', ...irisContract() });
  return {
    run: (feeds, fetches) => inner.run(feeds, fetches),
    async close() {
      closed = true;
      await inner.close();
    },
    openGate() {
      for (const resolve of release) resolve();
      release = [];
    },
    closed: () => closed,
    started: () => started,
  };
}

export async function instantModel(version: number, fails = false): Promise<LoadedModel> {
  return createMemoryRuntime({
    model: (input) => {
      if (fails) throw new Error('engine exploded');
      return answerAs(version)(input);
    },
  }).load({ modelPath: 'model', ...irisContract() });
}

export function entry(version: number, model: LoadedModel, contract: Contract = irisContract(), line = 'iris') {
  return {
    version,
    digest: String(version).padStart(64, '0'),
    manifest: manifestFor(line, version, contract),
    model,
  };
}
