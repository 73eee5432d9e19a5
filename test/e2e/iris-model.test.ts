/**
 * End-to-end check of the generated iris models: loads the fp32 and int8 bytes into onnxruntime-node exactly as
 * a device would and holds them to the accuracy, agreement and structure the tests, demo and benchmarks rely
 * on. Determinism is checked against a freshly imported module, because the public API memoises per seed and
 * comparing two cached copies would prove nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIrisModels, type IrisModels, writeIrisModels } from '@edgefleet/test-kit/models';
import onnxProto from 'onnx-proto';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const SEED = 42;
const FEATURE_COUNT = 4;

async function predict(session: InferenceSession, rows: readonly number[][]): Promise<number[][]> {
  const input = new Tensor('float32', Float32Array.from(rows.flat()), [rows.length, FEATURE_COUNT]);
  const output = (await session.run({ features: input })).probabilities;
  if (output === undefined) throw new Error('model produced no `probabilities` output');
  expect(output.dims).toEqual([rows.length, 3]);
  const values = output.data as Float32Array;
  const width = output.dims[1] ?? 0;
  return rows.map((_, r) => Array.from(values.subarray(r * width, (r + 1) * width)));
}

function accuracy(probabilities: number[][], labels: readonly number[]): number {
  const hits = probabilities.filter((row, r) => row.indexOf(Math.max(...row)) === labels[r]).length;
  return hits / labels.length;
}

function opTypes(bytes: Uint8Array): string[] {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  return (model.graph?.node ?? []).map((node) => node.opType ?? '');
}

describe('iris ONNX models', () => {
  let models: IrisModels;
  let fp32: InferenceSession;
  let int8: InferenceSession;
  let fp32Test: number[][];
  let int8Test: number[][];

  beforeAll(async () => {
    models = buildIrisModels({ seed: SEED });
    fp32 = await InferenceSession.create(models.fp32);
    int8 = await InferenceSession.create(models.int8);
    fp32Test = await predict(fp32, models.meta.testSet.features);
    int8Test = await predict(int8, models.meta.testSet.features);
  });

  afterAll(async () => {
    await Promise.all([fp32?.release(), int8?.release()]);
  });

  it('exposes the advertised input and output names', () => {
    for (const session of [fp32, int8]) {
      expect(session.inputNames).toEqual([models.meta.inputName]);
      expect(session.outputNames).toEqual([models.meta.outputName]);
    }
    expect(models.meta.sampleInputs).toHaveLength(16);
    expect(models.meta.classes).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('classifies the held-out set with at least 90% accuracy in both precisions', () => {
    const { labels } = models.meta.testSet;
    expect(models.meta.trainAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(fp32Test, labels)).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(int8Test, labels)).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps int8 probabilities within 0.05 of fp32', () => {
    const maxDiff = Math.max(...fp32Test.flatMap((row, r) => row.map((p, k) => Math.abs(p - (int8Test[r]?.[k] ?? 0)))));
    expect(maxDiff).toBeLessThan(0.05);
  });

  it('emits rows that are probability distributions', () => {
    for (const row of [...fp32Test, ...int8Test]) {
      expect(Math.abs(row.reduce((sum, p) => sum + p, 0) - 1)).toBeLessThan(1e-5);
      for (const p of row) expect(p).toBeGreaterThanOrEqual(0);
    }
  });

  it('builds the int8 graph from integer kernels only', () => {
    const ops = opTypes(models.int8);
    expect(ops).toContain('DynamicQuantizeLinear');
    expect(ops).toContain('MatMulInteger');
    expect(ops).not.toContain('MatMul');
    expect(opTypes(models.fp32)).not.toContain('MatMulInteger');
    const decoded = onnxProto.onnx.ModelProto.decode(models.int8);
    expect(Number(decoded.irVersion)).toBe(8);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
  });

  it('runs batches of 1 and 32 rows', async () => {
    const rows = models.meta.testSet.features;
    expect(rows.length).toBeGreaterThanOrEqual(32);
    for (const session of [fp32, int8]) {
      expect(await predict(session, rows.slice(0, 1))).toHaveLength(1);
      expect(await predict(session, rows.slice(0, 32))).toHaveLength(32);
    }
    const [single] = await predict(fp32, rows.slice(0, 1));
    for (const [k, p] of (single ?? []).entries()) expect(p).toBeCloseTo(fp32Test[0]?.[k] ?? Number.NaN, 6);
  });

  it('is byte-identical for a seed and differs across seeds', async () => {
    vi.resetModules();
    const fresh = await import('@edgefleet/test-kit/models');
    expect(fresh.buildIrisModels).not.toBe(buildIrisModels);
    const rebuilt = fresh.buildIrisModels({ seed: SEED });
    expect(Buffer.from(rebuilt.fp32).equals(Buffer.from(models.fp32))).toBe(true);
    expect(Buffer.from(rebuilt.int8).equals(Buffer.from(models.int8))).toBe(true);
    const other = fresh.buildIrisModels({ seed: SEED + 1 });
    expect(Buffer.from(other.fp32).equals(Buffer.from(models.fp32))).toBe(false);
    expect(Buffer.from(other.int8).equals(Buffer.from(models.int8))).toBe(false);
  });

  it('writes loadable model files and metadata', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgefleet-iris-'));
    try {
      const paths = await writeIrisModels(dir, { seed: SEED });
      expect(new Uint8Array(await readFile(paths.int8Path))).toEqual(models.int8);
      const meta: unknown = JSON.parse(await readFile(paths.metaPath, 'utf8'));
      expect(meta).toEqual(models.meta);
      const session = await InferenceSession.create(paths.fp32Path);
      await session.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
