import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packModelBundle, type Tensor } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../src/errors.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import { irisSamples, selfTestSetOf } from '../helpers/bundles.js';
import { buildTinyOnnx, TWO_BY_TWO } from '../helpers/tiny-onnx.js';
import { type IrisFiles, irisLoadOptions, irisModels, rawSession, writeIrisFiles } from './fixtures.js';

const feedsOf = (x: number[][], offsets: bigint[]): Record<string, Tensor> => ({
  x: { type: 'float32', data: Float32Array.from(x.flat()), dims: [x.length, 3] },
  offset: { type: 'int64', data: BigInt64Array.from(offsets), dims: [offsets.length, 1] },
});

describe('onnxruntime-node runtime', () => {
  let files: IrisFiles;
  beforeEach(async () => {
    files = await writeIrisFiles();
  });
  afterEach(async () => {
    await files.cleanup();
  });

  it('returns exactly what a raw InferenceSession returns for every test-set row, fp32 and int8', async () => {
    const { testSet } = irisModels().meta;
    for (const modelPath of [files.fp32Path, files.int8Path]) {
      const model = await createOnnxRuntime().load(irisLoadOptions(modelPath));
      const raw = await rawSession(modelPath);
      const input = { data: Float32Array.from(testSet.features.flat()), shape: [testSet.features.length, 4] };
      const ours = (await model.run({ features: { type: 'float32', data: input.data, dims: input.shape } }))
        .probabilities as Tensor;
      const theirs = await raw.run(input);
      expect(ours.dims).toEqual([testSet.features.length, 3]);
      expect(Array.from(ours.data as Float32Array)).toEqual(Array.from(theirs.data));
      await model.close();
      await raw.release();
    }
  });

  it('refuses a model whose input or output names differ from the manifest, naming them', async () => {
    const options = irisLoadOptions(files.fp32Path);
    const load = createOnnxRuntime().load({
      ...options,
      inputs: [{ name: 'pixels', dtype: 'float32', shape: ['N', 4] }],
    });
    await expect(load).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      details: { missing: ['pixels'], found: { inputs: ['features'], outputs: ['probabilities'] } },
    });
  });

  it('reports a corrupt file as MODEL_LOAD_FAILED with the engine error as cause', async () => {
    const corrupt = join(files.dir, 'corrupt.onnx');
    await writeFile(corrupt, irisModels().fp32.subarray(0, 100));
    const error = await createOnnxRuntime()
      .load(irisLoadOptions(corrupt))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AgentError);
    expect((error as AgentError).code).toBe('MODEL_LOAD_FAILED');
    expect((error as AgentError).cause).toBeInstanceOf(Error);
  });

  it('loads the model from the head of an installed bundle, up to modelBytes', async () => {
    const model = irisModels().fp32;
    const samples = irisSamples(irisModels().meta.sampleInputs.slice(0, 2));
    const set = await selfTestSetOf(async () => ({ probabilities: samples[0]?.features as Tensor }), samples);
    const bundle = packModelBundle(model, set);
    const bundlePath = join(files.dir, 'bundle.bin');
    await writeFile(bundlePath, bundle.bytes);
    const loaded = await createOnnxRuntime().load({ ...irisLoadOptions(bundlePath), modelBytes: bundle.modelBytes });
    const raw = await rawSession(files.fp32Path);
    const input = { data: Float32Array.from([5.1, 3.5, 1.4, 0.2]), shape: [1, 4] };
    const out = (await loaded.run({ features: { type: 'float32', data: input.data, dims: input.shape } }))
      .probabilities as Tensor;
    expect(Array.from(out.data as Float32Array)).toEqual(Array.from((await raw.run(input)).data));
    await loaded.close();
    await raw.release();
  });

  it('refuses, with MODEL_LOAD_FAILED, a file that ends before modelBytes', async () => {
    const load = createOnnxRuntime().load({
      ...irisLoadOptions(files.fp32Path),
      modelBytes: irisModels().fp32.byteLength + 1,
    });
    await expect(load).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
  });
});

describe('onnxruntime-node runtime with several inputs and outputs', () => {
  let files: IrisFiles;
  let modelPath: string;
  beforeEach(async () => {
    files = await writeIrisFiles();
    modelPath = join(files.dir, 'two-by-two.onnx');
    await writeFile(modelPath, buildTinyOnnx(TWO_BY_TWO));
  });
  afterEach(async () => {
    await files.cleanup();
  });

  const load = () => createOnnxRuntime().load({ modelPath, inputs: TWO_BY_TWO.inputs, outputs: TWO_BY_TWO.outputs });

  it('runs two named inputs of different element types to two named outputs, each in its own type', async () => {
    const model = await load();
    const outputs = await model.run(
      feedsOf(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [10n, -3n],
      ),
    );
    expect(Object.keys(outputs).sort()).toEqual(['shifted', 'squared']);
    expect(outputs.shifted).toMatchObject({ type: 'float32', dims: [2, 3] });
    expect(Array.from(outputs.shifted?.data as Float32Array)).toEqual([11, 12, 13, 1, 2, 3]);
    expect(outputs.squared).toMatchObject({ type: 'int64', dims: [2, 1] });
    expect(outputs.squared?.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(outputs.squared?.data as BigInt64Array)).toEqual([100n, 9n]);
    await model.close();
  });

  it('returns only the outputs named in fetches', async () => {
    const model = await load();
    const outputs = await model.run(feedsOf([[0, 0, 0]], [7n]), ['squared']);
    expect(Object.keys(outputs)).toEqual(['squared']);
    expect(Array.from(outputs.squared?.data as BigInt64Array)).toEqual([49n]);
    await model.close();
  });

  it('gives concurrent runs with different feeds the answers of sequential ones', async () => {
    const model = await load();
    const calls = [1n, 2n, 3n, 4n, 5n].map((k) => feedsOf([[Number(k), 0, 0]], [k]));
    const sequential = [];
    for (const feeds of calls) sequential.push(await model.run(feeds));
    const concurrent = await Promise.all(calls.map((feeds) => model.run(feeds)));
    const summary = (outs: Record<string, Tensor>[]) =>
      outs.map((o) => [
        ...Array.from(o.shifted?.data as Float32Array),
        ...Array.from(o.squared?.data as BigInt64Array),
      ]);
    expect(summary(concurrent)).toEqual(summary(sequential));
    await model.close();
  });

  it('refuses a contract naming an output the graph does not have', async () => {
    const refused = createOnnxRuntime().load({
      modelPath,
      inputs: TWO_BY_TWO.inputs,
      outputs: [...TWO_BY_TWO.outputs, { name: 'logits', dtype: 'float32', shape: ['batch', 3] }],
    });
    await expect(refused).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED', details: { missing: ['logits'] } });
  });
});
