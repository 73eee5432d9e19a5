/**
 * Inference-test fixtures: manifests shaped like the iris classifier and in-memory models whose runs can
 * be held open, to observe what happens to in-flight predictions during a swap.
 */
import { type ManifestBody, systemClock } from '@edgefleet/protocol';
import { createMemoryRuntime } from '../../src/runtime/memory-runtime.js';
import type { LoadedModel, TensorData } from '../../src/runtime/runtime.js';

export const clock = systemClock;

export function manifestFor(line: string, version: number, features = 4): ManifestBody {
  return {
    _type: 'manifest',
    line,
    version,
    digest: 'a'.repeat(64),
    sizeBytes: 1024,
    chunkBytes: 1024,
    chunks: ['b'.repeat(64)],
    runtime: 'onnx',
    quantization: 'none',
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, features] }],
    outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }],
    selfTest: {
      input: 'features',
      output: 'probabilities',
      atol: 1e-5,
      vectors: [{ shape: [1, features], input: new Array(features).fill(0), expected: [0, 0, 0] }],
    },
    lineage: { parents: [], source: 'test', contentOf: null },
    createdAt: 0,
    expiresAt: 2 ** 40,
  };
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
  }).load({ modelPath: 'gated', inputName: 'features', outputName: 'probabilities' });
  return {
    run: (input) => inner.run(input),
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
  }).load({ modelPath: 'model', inputName: 'features', outputName: 'probabilities' });
}

export function entry(version: number, model: LoadedModel, features = 4) {
  return {
    version,
    digest: String(version).padStart(64, '0'),
    manifest: manifestFor('iris', version, features),
    model,
  };
}
