/**
 * Model bundles packed the way the registry packs them (protocol model-bundle.ts): the model file followed
 * by a self-test set whose expected outputs are what the model computes for the sample inputs — by calling
 * an in-memory model's function, or by running the ONNX file in a plain onnxruntime session, as
 * registration does. A test that wants a failing self-test runs a different model on the device than the
 * one the set was computed with.
 */
import {
  encodeTensorMap,
  type PackedBundle,
  packModelBundle,
  type SelfTestSet,
  type Tensor,
  type TensorMap,
  type TensorSpec,
} from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import type { MemoryModelFn } from '../../src/runtime/memory-runtime.js';
import { float32Tensor, tensorData } from '../../src/runtime/runtime.js';

/** The iris classifier's contract, as the registry reads it from the graph (`N` is symbolic). */
export const IRIS_INPUTS: readonly TensorSpec[] = Object.freeze([
  { name: 'features', dtype: 'float32', shape: ['N', 4] },
]);
export const IRIS_OUTPUTS: readonly TensorSpec[] = Object.freeze([
  { name: 'probabilities', dtype: 'float32', shape: ['N', 3] },
]);
export const IRIS_SELF_TEST_ROWS: readonly (readonly number[])[] = Object.freeze([[5.1, 3.5, 1.4, 0.2]]);

export type ModelRun = (feeds: TensorMap) => Promise<Readonly<Record<string, Tensor>>>;

/** One self-test vector per row: `features` as a float32 [1, 4] tensor. */
export function irisSamples(rows: readonly (readonly number[])[] = IRIS_SELF_TEST_ROWS): TensorMap[] {
  return rows.map((row) => ({ features: { type: 'float32', data: Float32Array.from(row), dims: [1, row.length] } }));
}

/** Every output `run` computes for each sample, as one vector per sample. */
export async function selfTestSetOf(run: ModelRun, samples: readonly TensorMap[]): Promise<SelfTestSet> {
  const vectors = [];
  for (const inputs of samples) {
    vectors.push({ inputs: encodeTensorMap(inputs), outputs: encodeTensorMap(await run(inputs)) });
  }
  return { _type: 'self-test-set', vectors };
}

/** `model` (any bytes: the memory runtime never reads them) with the set `fn` computes for the iris rows. */
export async function memoryBundle(
  model: Uint8Array,
  fn: MemoryModelFn,
  rows: readonly (readonly number[])[] = IRIS_SELF_TEST_ROWS,
): Promise<PackedBundle> {
  const run: ModelRun = async (feeds) => ({
    probabilities: float32Tensor(await fn(tensorData(feeds.features as Tensor))),
  });
  return packModelBundle(model, await selfTestSetOf(run, irisSamples(rows)));
}

/** Runs an ONNX file in a plain onnxruntime session (the registry's engine), every output per call. */
export async function withOnnxSession<T>(model: Uint8Array, use: (run: ModelRun) => Promise<T>): Promise<T> {
  const session = await ort.InferenceSession.create(model);
  try {
    return await use(async (feeds) => {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      return (await session.run(ortFeeds)) as unknown as Record<string, Tensor>;
    });
  } finally {
    await session.release();
  }
}

/** An ONNX model with the outputs onnxruntime computes for `samples` (default: the iris rows). */
export async function onnxBundle(
  model: Uint8Array,
  samples: readonly TensorMap[] = irisSamples(),
): Promise<PackedBundle> {
  const set = await withOnnxSession(model, (run) => selfTestSetOf(run, samples));
  return packModelBundle(model, set);
}
