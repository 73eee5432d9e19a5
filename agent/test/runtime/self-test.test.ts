import type { SelfTest } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryRuntime } from '../../src/runtime/memory-runtime.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { LoadedModel } from '../../src/runtime/runtime.js';
import { runSelfTest } from '../../src/runtime/self-test.js';
import { type IrisFiles, irisModels, rawSession, writeIrisFiles } from './fixtures.js';

/** Self-test vectors built the way the control plane builds them: by running the model on sample inputs. */
async function vectorsFor(modelPath: string): Promise<SelfTest> {
  const raw = await rawSession(modelPath);
  const { inputName, outputName, sampleInputs } = irisModels().meta;
  const vectors = [];
  for (const rows of [sampleInputs.slice(0, 1), sampleInputs]) {
    const input = rows.flat();
    const out = await raw.run({ data: Float32Array.from(input), shape: [rows.length, 4] });
    vectors.push({ shape: [rows.length, 4], input, expected: Array.from(out.data) });
  }
  await raw.release();
  return { input: inputName, output: outputName, atol: 1e-5, vectors };
}

describe('model self-test', () => {
  let files: IrisFiles;
  let model: LoadedModel;
  let selfTest: SelfTest;
  beforeEach(async () => {
    files = await writeIrisFiles();
    const { inputName, outputName } = irisModels().meta;
    model = await createOnnxRuntime().load({ modelPath: files.fp32Path, inputName, outputName });
    selfTest = await vectorsFor(files.fp32Path);
  });
  afterEach(async () => {
    await model.close();
    await files.cleanup();
  });

  it('passes when every output matches the expected vectors', async () => {
    expect(await runSelfTest(model, selfTest)).toEqual({ ok: true, maxError: 0 });
  });

  it('passes a deviation within atol and reports it as maxError', async () => {
    const [first, second] = selfTest.vectors;
    const nudged = { ...second!, expected: second!.expected.map((v, i) => (i === 4 ? v + 0.5e-5 : v)) };
    const result = await runSelfTest(model, { ...selfTest, vectors: [first!, nudged] });
    expect(result.ok).toBe(true);
    expect(result.maxError).toBeGreaterThan(0.4e-5);
    expect(result.maxError).toBeLessThanOrEqual(1e-5);
  });

  it('fails on the first vector whose output deviates beyond atol', async () => {
    const [first, second] = selfTest.vectors;
    const perturbed = { ...second!, expected: second!.expected.map((v, i) => (i === 7 ? v + 1e-3 : v)) };
    const result = await runSelfTest(model, { ...selfTest, vectors: [first!, perturbed] });
    expect(result).toMatchObject({ ok: false, vectorIndex: 1 });
    expect(result.maxError).toBeCloseTo(1e-3, 6);
  });

  it('fails when the output has a different number of elements than expected', async () => {
    const [first] = selfTest.vectors;
    const short = { ...first!, expected: first!.expected.slice(0, 2) };
    const result = await runSelfTest(model, { ...selfTest, vectors: [short] });
    expect(result).toMatchObject({ ok: false, vectorIndex: 0, maxError: Number.POSITIVE_INFINITY });
    if (!result.ok) expect(result.reason).toMatch(/3 elements, expected 2/);
  });

  it('fails when the model produces NaN, whatever the tolerance', async () => {
    const nanModel = await createMemoryRuntime({
      nan: (input) => ({ data: new Float32Array(3).fill(Number.NaN), shape: [input.shape[0] ?? 1, 3] }),
    }).load({ modelPath: 'nan', inputName: 'features', outputName: 'probabilities' });
    const [first] = selfTest.vectors;
    const result = await runSelfTest(nanModel, { ...selfTest, atol: 1e9, vectors: [first!] });
    expect(result).toMatchObject({ ok: false, vectorIndex: 0 });
    if (!result.ok) expect(result.reason).toMatch(/NaN/);
  });

  it('fails, naming the error, when the model cannot run the vector', async () => {
    await model.close();
    const result = await runSelfTest(model, selfTest);
    expect(result).toMatchObject({ ok: false, vectorIndex: 0 });
    if (!result.ok) expect(result.reason).toMatch(/run failed: .*closed/);
  });
});
