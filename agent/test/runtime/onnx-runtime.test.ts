import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import { type IrisFiles, irisModels, rawSession, writeIrisFiles } from './fixtures.js';

describe('onnxruntime-node runtime', () => {
  let files: IrisFiles;
  beforeEach(async () => {
    files = await writeIrisFiles();
  });
  afterEach(async () => {
    await files.cleanup();
  });

  it('returns exactly what a raw InferenceSession returns for every test-set row, fp32 and int8', async () => {
    const { inputName, outputName, testSet } = irisModels().meta;
    for (const modelPath of [files.fp32Path, files.int8Path]) {
      const model = await createOnnxRuntime().load({ modelPath, inputName, outputName });
      const raw = await rawSession(modelPath);
      const input = { data: Float32Array.from(testSet.features.flat()), shape: [testSet.features.length, 4] };
      const ours = await model.run(input);
      const theirs = await raw.run(input);
      expect(ours.shape).toEqual([testSet.features.length, 3]);
      expect(Array.from(ours.data)).toEqual(Array.from(theirs.data));
      await model.close();
      await raw.release();
    }
  });

  it('refuses a model whose input or output names differ from the manifest', async () => {
    const { outputName } = irisModels().meta;
    const load = createOnnxRuntime().load({ modelPath: files.fp32Path, inputName: 'pixels', outputName });
    await expect(load).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', details: { wanted: { input: 'pixels' } } });
  });

  it('reports a corrupt file as MODEL_LOAD_FAILED with the engine error as cause', async () => {
    const corrupt = join(files.dir, 'corrupt.onnx');
    await writeFile(corrupt, irisModels().fp32.subarray(0, 100));
    const { inputName, outputName } = irisModels().meta;
    const error = await createOnnxRuntime()
      .load({ modelPath: corrupt, inputName, outputName })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('MODEL_LOAD_FAILED');
    expect((error as AgentError).cause).toBeInstanceOf(Error);
  });
});
