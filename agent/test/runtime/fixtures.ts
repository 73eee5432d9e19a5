/**
 * Shared runtime-test fixtures: the iris ONNX models written to a temp dir, the load options that name
 * their contract, and a raw onnxruntime-node session as the baseline the product's runtime must match
 * exactly.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIrisModels, type IrisModels } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import type { LoadOptions, TensorData } from '../../src/runtime/runtime.js';
import { IRIS_INPUTS, IRIS_OUTPUTS } from '../helpers/bundles.js';

let cached: IrisModels | undefined;
/** Training the fixture model takes ~0.1 s; one copy per test file is enough. */
export function irisModels(): IrisModels {
  cached ??= buildIrisModels();
  return cached;
}

export interface IrisFiles {
  readonly dir: string;
  readonly fp32Path: string;
  readonly int8Path: string;
  cleanup(): Promise<void>;
}

export async function writeIrisFiles(): Promise<IrisFiles> {
  const models = irisModels();
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-runtime-'));
  const fp32Path = join(dir, 'iris-fp32.onnx');
  const int8Path = join(dir, 'iris-int8.onnx');
  await writeFile(fp32Path, models.fp32);
  await writeFile(int8Path, models.int8);
  return { dir, fp32Path, int8Path, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Load options for an iris model file (the whole file is the model). */
export function irisLoadOptions(modelPath: string): LoadOptions {
  return { modelPath, inputs: IRIS_INPUTS, outputs: IRIS_OUTPUTS };
}

/** A plain InferenceSession, opened the way onnxruntime's README does it: the baseline. */
export async function rawSession(modelPath: string): Promise<{
  run(input: TensorData): Promise<TensorData>;
  release(): Promise<void>;
}> {
  const { inputName, outputName } = irisModels().meta;
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  return {
    async run(input) {
      const results = await session.run({ [inputName]: new ort.Tensor('float32', input.data, input.shape) });
      const out = results[outputName] as ort.Tensor;
      return { data: out.data as Float32Array, shape: out.dims };
    },
    release: () => session.release(),
  };
}
