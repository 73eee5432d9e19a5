import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeTensorMap,
  encodeTensorMap,
  type ManifestBody,
  packModelBundle,
  type SelfTestSet,
  type Tensor,
  type TensorMap,
  type Tolerance,
} from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { LoadedModel } from '../../src/runtime/runtime.js';
import { runSelfTest } from '../../src/runtime/self-test.js';
import { irisSamples, selfTestSetOf, withOnnxSession } from '../helpers/bundles.js';
import { type ManifestOptions, makeKeys, makeManifest } from '../helpers/signed-docs.js';
import { ACCUMULATOR, ACCUMULATOR_STATE, buildTinyOnnx, type TinyGraph, TWO_BY_TWO } from '../helpers/tiny-onnx.js';
import { type IrisFiles, irisLoadOptions, irisModels, writeIrisFiles } from './fixtures.js';

const keys = makeKeys();

/** The manifest registration would sign for `model` with `set` (only contract, state and tolerance matter). */
function manifestOf(
  model: Uint8Array,
  set: SelfTestSet,
  options: Omit<ManifestOptions, 'version' | 'bundle'> = {},
): ManifestBody {
  return makeManifest(keys, { version: 1, bundle: packModelBundle(model, set), ...options }).body;
}

/** `set` with one expected output of one vector changed by `edit` (a copy: the set itself is untouched). */
function withExpected(
  set: SelfTestSet,
  at: { vector: number; output: string },
  edit: (tensor: Tensor) => Tensor,
): SelfTestSet {
  return {
    ...set,
    vectors: set.vectors.map((vector, i) => {
      if (i !== at.vector) return vector;
      const outputs: Record<string, Tensor> = decodeTensorMap(vector.outputs);
      outputs[at.output] = edit(outputs[at.output] as Tensor);
      return { ...vector, outputs: encodeTensorMap(outputs) };
    }),
  };
}

const nudge =
  (index: number, by: number) =>
  (t: Tensor): Tensor => ({
    ...t,
    data: (t.data as Float32Array).map((v, i) => (i === index ? v + by : v)),
  });

describe('model self-test', () => {
  let files: IrisFiles;
  let model: LoadedModel;
  let set: SelfTestSet;
  const tolerance = (atol: number, rtol = 0): Record<string, Tolerance> => ({ probabilities: { atol, rtol } });
  const iris = () => irisModels().fp32;

  beforeEach(async () => {
    files = await writeIrisFiles();
    model = await createOnnxRuntime().load(irisLoadOptions(files.fp32Path));
    // Built the way the registry builds it: by running the model on sample inputs, one row and a batch.
    const { sampleInputs } = irisModels().meta;
    const samples: TensorMap[] = [
      ...irisSamples(sampleInputs.slice(0, 1)),
      { features: { type: 'float32', data: Float32Array.from(sampleInputs.flat()), dims: [sampleInputs.length, 4] } },
    ];
    set = await withOnnxSession(iris(), (run) => selfTestSetOf(run, samples));
  });
  afterEach(async () => {
    await model.close();
    await files.cleanup();
  });

  it('passes when every output matches the expected vectors', async () => {
    const manifest = manifestOf(iris(), set, { tolerance: tolerance(1e-5) });
    expect(await runSelfTest(model, manifest, set)).toEqual({ ok: true, maxError: 0 });
  });

  it('passes a deviation within atol and reports it as maxError', async () => {
    const nudged = withExpected(set, { vector: 1, output: 'probabilities' }, nudge(4, 0.5e-5));
    const result = await runSelfTest(model, manifestOf(iris(), nudged, { tolerance: tolerance(1e-5) }), nudged);
    expect(result.ok).toBe(true);
    expect(result.maxError).toBeGreaterThan(0.4e-5);
    expect(result.maxError).toBeLessThanOrEqual(1e-5);
  });

  it('fails on the first vector whose output deviates beyond the tolerance (a tampered expected output)', async () => {
    const tampered = withExpected(set, { vector: 1, output: 'probabilities' }, nudge(7, 1e-3));
    const result = await runSelfTest(model, manifestOf(iris(), tampered, { tolerance: tolerance(1e-5) }), tampered);
    expect(result).toMatchObject({ ok: false, vectorIndex: 1 });
    expect(result.maxError).toBeCloseTo(1e-3, 6);
    if (!result.ok) expect(result.reason).toMatch(/output probabilities element 7 differs/);
  });

  it('allows a deviation relative to the expected value with rtol', async () => {
    const tampered = withExpected(set, { vector: 0, output: 'probabilities' }, (t) => ({
      ...t,
      data: (t.data as Float32Array).map((v) => v * 1.001),
    }));
    const strict = await runSelfTest(model, manifestOf(iris(), tampered, { tolerance: tolerance(0) }), tampered);
    expect(strict.ok).toBe(false);
    const relative = manifestOf(iris(), tampered, { tolerance: tolerance(0, 2e-3) });
    expect((await runSelfTest(model, relative, tampered)).ok).toBe(true);
  });

  it('fails when an output has other dims than expected', async () => {
    const short = withExpected(set, { vector: 0, output: 'probabilities' }, (t) => ({
      type: 'float32',
      data: (t.data as Float32Array).slice(0, 2),
      dims: [1, 2],
    }));
    const result = await runSelfTest(model, manifestOf(iris(), short), short);
    expect(result).toMatchObject({ ok: false, vectorIndex: 0, maxError: Number.POSITIVE_INFINITY });
    if (!result.ok) expect(result.reason).toMatch(/float32 \[1, 3\], expected float32 \[1, 2\]/);
  });

  it('fails when the model does not produce an output the set expects', async () => {
    const extra: SelfTestSet = {
      ...set,
      vectors: set.vectors.map((v) => ({ ...v, outputs: { ...v.outputs, logits: v.outputs.probabilities! } })),
    };
    const result = await runSelfTest(model, manifestOf(iris(), set), extra);
    expect(result).toMatchObject({ ok: false, vectorIndex: 0 });
    if (!result.ok) expect(result.reason).toMatch(/output logits is missing/);
  });

  it('fails when the model produces NaN, whatever the tolerance', async () => {
    const nanModel = await createMemoryRuntime({
      nan: (input) => ({
        data: new Float32Array(3 * (input.shape[0] ?? 1)).fill(Number.NaN),
        shape: [input.shape[0] ?? 1, 3],
      }),
    }).load(irisLoadOptions('nan'));
    const result = await runSelfTest(nanModel, manifestOf(iris(), set, { tolerance: tolerance(1e6, 1) }), set);
    expect(result).toMatchObject({ ok: false, vectorIndex: 0 });
    if (!result.ok) expect(result.reason).toMatch(/NaN/);
  });

  it('fails, naming the error, when the model cannot run the vector', async () => {
    await model.close();
    const result = await runSelfTest(model, manifestOf(iris(), set), set);
    expect(result).toMatchObject({ ok: false, vectorIndex: 0 });
    if (!result.ok) expect(result.reason).toMatch(/run failed: .*closed/);
  });
});

describe('model self-test of graphs with several outputs and state', () => {
  let files: IrisFiles;
  beforeEach(async () => {
    files = await writeIrisFiles();
  });
  afterEach(async () => {
    await files.cleanup();
  });

  async function loadTiny(name: string, bytes: Uint8Array, contract: TinyGraph): Promise<LoadedModel> {
    const path = join(files.dir, `${name}.onnx`);
    await writeFile(path, bytes);
    return createOnnxRuntime().load({ modelPath: path, inputs: contract.inputs, outputs: contract.outputs });
  }

  it('checks every output, and integer outputs exactly whatever the tolerance', async () => {
    const bytes = buildTinyOnnx(TWO_BY_TWO);
    const model = await loadTiny('two-by-two', bytes, TWO_BY_TWO);
    const samples: TensorMap[] = [
      {
        x: { type: 'float32', data: Float32Array.from([1, 2, 3]), dims: [1, 3] },
        offset: { type: 'int64', data: BigInt64Array.from([4n]), dims: [1, 1] },
      },
    ];
    const set = await withOnnxSession(bytes, (run) => selfTestSetOf(run, samples));
    const loose = { shifted: { atol: 1e6, rtol: 1 }, squared: { atol: 1e6, rtol: 1 } };
    const manifest = manifestOf(bytes, set, { ...TWO_BY_TWO, tolerance: loose });
    expect(await runSelfTest(model, manifest, set)).toEqual({ ok: true, maxError: 0 });
    const offByOne = withExpected(set, { vector: 0, output: 'squared' }, (t) => ({
      type: 'int64',
      data: BigInt64Array.from([17n]),
      dims: t.dims,
    }));
    const result = await runSelfTest(model, manifest, offByOne);
    expect(result).toMatchObject({ ok: false, vectorIndex: 0 });
    if (!result.ok) expect(result.reason).toMatch(/output squared element 0 differs by 1/);
    await model.close();
  });

  it('runs the vectors of a stateful model as one stream from the initial state', async () => {
    const bytes = buildTinyOnnx(ACCUMULATOR);
    const model = await loadTiny('accumulator', bytes, ACCUMULATOR);
    const xs = [
      [1, 2],
      [10, 20],
      [100, 200],
    ];
    const vector = (x: number[], total: number[]) => ({
      inputs: encodeTensorMap({ x: { type: 'float32', data: Float32Array.from(x), dims: [1, 2] } }),
      outputs: encodeTensorMap({
        total: { type: 'float32', data: Float32Array.from(total), dims: [1, 2] },
        h_next: { type: 'float32', data: Float32Array.from(total), dims: [1, 2] },
      }),
    });
    // Running sums: what one device stream computes, each call fed the previous call's h_next.
    const stream: SelfTestSet = {
      _type: 'self-test-set',
      vectors: [vector([1, 2], [1, 2]), vector([10, 20], [11, 22]), vector([100, 200], [111, 222])],
    };
    const manifest = manifestOf(bytes, stream, { ...ACCUMULATOR, state: ACCUMULATOR_STATE });
    expect(await runSelfTest(model, manifest, stream)).toEqual({ ok: true, maxError: 0 });
    // A set computed call by call from zero state is not what the stream computes from its second call on.
    const stateless: SelfTestSet = { _type: 'self-test-set', vectors: xs.map((x) => vector(x, x)) };
    expect(await runSelfTest(model, manifest, stateless)).toMatchObject({ ok: false, vectorIndex: 1 });
    await model.close();
  });
});
