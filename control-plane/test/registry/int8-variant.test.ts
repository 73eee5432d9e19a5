/**
 * The int8 variant at registration, through `app.request()` with real models: the control plane quantizes
 * the upload, measures the variant against it on the samples plus an evaluation set, and registers it as the
 * next version with the measured quality in the signed manifest — or refuses it with the numbers while the
 * fp32 version stands. Every recorded figure is checked against an independent run of raw onnxruntime
 * sessions on the same inputs.
 */
import {
  decodeSelfTestSet,
  type EncodedTensor,
  encodeCbor,
  encodeTensorMap,
  type ManifestBody,
  type ModelQuality,
  mulberry32,
  type Tensor,
} from '@edgefleet/protocol';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryBlobStore } from '../../src/index.js';
import { estimateMemoryBytes } from '../../src/registry/bundle-builder.js';
import { quantizeDynamic } from '../../src/registry/quantize/index.js';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { npyBytes, REAL_MODELS, singleOpModel, uploadForm } from './model-files.js';

const { onnx } = onnxProto;

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const blobs = createMemoryBlobStore();

interface Summary {
  line: string;
  version: number;
  digest: string;
  sizeBytes: number;
  manifest: ManifestBody;
}

interface Int8Answer extends Partial<Summary> {
  refused: boolean;
  code?: string;
  message?: string;
  agreement?: number;
  minAgreement: number;
  quality?: ModelQuality;
  quantized: { node: string; op: string; elements: number }[];
  skipped: { node: string; op: string; reason: string }[];
}

type Answer = Summary & { int8: Int8Answer };

async function post(line: string, form: FormData): Promise<Response> {
  f ??= await startFixture({ blobStore: blobs });
  return f.request('POST', `/v1/models/${line}/versions`, { body: form });
}

async function registered(line: string, form: FormData): Promise<Answer> {
  const res = await post(line, form);
  const body = await res.json();
  expect(res.status, JSON.stringify(body).slice(0, 2000)).toBe(201);
  return body as Answer;
}

async function refused(line: string, form: FormData, status: number) {
  const res = await post(line, form);
  const body = (await res.json()) as { error: { code: string; message: string; details?: Record<string, unknown> } };
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body.error;
}

async function versions(line: string) {
  const res = await (f as Fixture).request('GET', `/v1/models/${line}/versions`);
  return (await res.json()) as { version: number; quantization: string; quality?: ModelQuality }[];
}

/** The model file at the head of a registered version's bundle, and its decoded self-test set. */
async function bundleParts(v: Summary) {
  const bytes = await blobs.get(v.digest);
  if (bytes === null) throw new Error(`no blob ${v.digest}`);
  const modelBytes = v.manifest.modelBytes as number;
  return { model: bytes.slice(0, modelBytes), selfTest: decodeSelfTestSet(bytes.subarray(modelBytes)) };
}

function withPart(form: FormData, name: string, bytes: Uint8Array): FormData {
  form.append(name, new Blob([new Uint8Array(bytes)]), name);
  return form;
}

function randomFloats(count: number, seed: number, [low, high]: [number, number]): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count }, () => low + rng() * (high - low));
}

function base64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

function bytesOf(t: EncodedTensor | ort.Tensor): Buffer {
  const data = t.data as Uint8Array | Float32Array;
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

const argmax = (values: Float32Array, offset: number, classes: number) => {
  let best = 0;
  for (let i = 1; i < classes; i++) if ((values[offset + i] as number) > (values[offset + best] as number)) best = i;
  return best;
};

/**
 * The figures the registry records, computed here from raw sessions: each stream's calls in order (a stateful
 * model feeds each session its own state back), the compared output of both models side by side.
 */
async function rawComparison(options: {
  fp32: Uint8Array;
  int8: Uint8Array;
  streams: Record<string, ort.Tensor>[][];
  output: string;
  state?: { input: string; output: string; dims: number[] }[];
}) {
  const sessions = await Promise.all([
    ort.InferenceSession.create(options.fp32),
    ort.InferenceSession.create(options.int8),
  ]);
  const outputs: [Float32Array[], Float32Array[]] = [[], []];
  try {
    for (const [m, session] of sessions.entries()) {
      for (const stream of options.streams) {
        let state: Record<string, ort.Tensor> = Object.fromEntries(
          (options.state ?? []).map((p) => [
            p.input,
            new ort.Tensor('float32', new Float32Array(p.dims.reduce((a, b) => a * b)), p.dims),
          ]),
        );
        for (const feeds of stream) {
          const out = await session.run({ ...feeds, ...state });
          outputs[m]?.push(out[options.output]?.data as Float32Array);
          state = Object.fromEntries((options.state ?? []).map((p) => [p.input, out[p.output] as ort.Tensor]));
        }
      }
    }
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
  }
  const [reference, candidate] = outputs;
  let errorSum = 0;
  let elements = 0;
  let maxAbsError = 0;
  const errors: { error: number; reference: number }[] = [];
  for (const [call, a] of reference.entries()) {
    const b = candidate[call] as Float32Array;
    for (let i = 0; i < a.length; i++) {
      const error = Math.abs((b[i] as number) - (a[i] as number));
      errors.push({ error, reference: a[i] as number });
      errorSum += error;
      elements++;
      maxAbsError = Math.max(maxAbsError, error);
    }
  }
  return {
    reference,
    candidate,
    maxAbsError,
    meanAbsError: errorSum / elements,
    /** Share of rows whose predicted class is the same. */
    argmaxAgreement(classes: number) {
      let agreed = 0;
      let rows = 0;
      for (const [call, a] of reference.entries()) {
        for (let offset = 0; offset < a.length; offset += classes, rows++) {
          if (argmax(a, offset, classes) === argmax(candidate[call] as Float32Array, offset, classes)) agreed++;
        }
      }
      return { agreement: agreed / rows, rows };
    },
    /** Share of elements within atol + rtol·|reference|. */
    withinTolerance(atol: number, rtol: number) {
      return errors.filter((e) => e.error <= atol + rtol * Math.abs(e.reference)).length / errors.length;
    },
  };
}

describe('the int8 variant of an image CNN (PaddleOCR direction classifier)', () => {
  const model = REAL_MODELS.imageClassifier();
  const OUTPUT = 'softmax_0.tmp_0';
  const DIMS = [1, 3, 48, 192];
  const SIZE = 3 * 48 * 192;
  // 64 seeded images with pixels in [0, 1]: 4 self-test samples, 60 more to evaluate on (one .npy part).
  const images = Array.from({ length: 64 }, (_, i) => randomFloats(SIZE, i + 1, [0, 1]));
  const samples = images.slice(0, 4).map((image) => ({ x: { dims: DIMS, data: base64(image) } }));
  const stacked = new Float32Array(60 * SIZE);
  for (const [i, image] of images.slice(4).entries()) stacked.set(image, i * SIZE);
  const evaluation = npyBytes({ type: 'float32', data: stacked, dims: [60, ...DIMS] });
  const form = (metadata: Record<string, unknown>) =>
    withPart(uploadForm({ model, metadata: { samples, ...metadata } }), 'evaluation', evaluation);

  let raw: Awaited<ReturnType<typeof rawComparison>>;
  beforeAll(async () => {
    raw = await rawComparison({
      fp32: model,
      int8: quantizeDynamic(model).bytes,
      streams: [images.map((image) => ({ x: new ort.Tensor('float32', image, DIMS) }))],
      output: OUTPUT,
    });
  });

  it('registers v1 as uploaded and v2 as its int8 variant, with the agreement raw onnxruntime measures on all 64 images', async ({
    annotate,
  }) => {
    const answer = await registered('ocr-direction', form({ int8Variant: {} }));
    const expected = raw.argmaxAgreement(2);
    await annotate(`CNN int8 vs fp32: ${JSON.stringify(answer.int8.quality)}`);
    expect(answer.version).toBe(1);
    expect(answer.manifest.quantization).toBe('none');
    expect(answer.manifest.quality).toBeUndefined();
    expect(answer.int8).toMatchObject({ refused: false, version: 2, minAgreement: 0.95 });
    const v2 = answer.int8.manifest as ManifestBody;
    expect(v2).toMatchObject({
      version: 2,
      quantization: 'int8',
      inputs: answer.manifest.inputs,
      outputs: answer.manifest.outputs,
      lineage: { parents: [1], source: 'int8 of v1', contentOf: null },
    });
    expect(v2.quality).toEqual({
      comparedWith: 1,
      output: OUTPUT,
      metric: 'argmax',
      agreement: expected.agreement,
      samples: 64,
      compared: 64,
      maxAbsError: expect.closeTo(raw.maxAbsError, 12),
      meanAbsError: expect.closeTo(raw.meanAbsError, 12),
    });
    expect(answer.int8.agreement).toBe(expected.agreement);
    // Measured, not assumed: one of these images sits on the decision boundary and flips.
    expect(expected.agreement).toBe(63 / 64);
    expect(answer.int8.quantized.every((q) => q.op === 'Conv' || q.op === 'MatMul')).toBe(true);

    const listed = await versions('ocr-direction');
    expect(listed.map((v) => [v.version, v.quantization, v.quality?.agreement])).toEqual([
      [2, 'int8', expected.agreement],
      [1, 'none', undefined],
    ]);
  });

  it('ships the variant with its own self-test set, bit for bit what raw onnxruntime computes with the int8 model', async () => {
    const answer = await registered('ocr-direction', form({ int8Variant: {} }));
    const v2 = answer.int8 as Int8Answer & Summary;
    const { model: int8Model, selfTest } = await bundleParts(v2);
    expect(Buffer.from(int8Model).equals(Buffer.from(quantizeDynamic(model).bytes))).toBe(true);
    expect(int8Model.byteLength).toBeLessThan(model.byteLength / 2);
    const graph = onnx.ModelProto.decode(int8Model).graph;
    expect(graph?.node?.some((n) => n.opType === 'ConvInteger')).toBe(true);
    expect(v2.manifest.resources?.memoryBytes).toBe(estimateMemoryBytes(int8Model.byteLength));
    expect(v2.manifest.resources?.memoryBytes).toBeLessThan(answer.manifest.resources?.memoryBytes as number);

    expect(selfTest.vectors).toHaveLength(4);
    const session = await ort.InferenceSession.create(int8Model);
    try {
      for (const [i, image] of images.slice(0, 4).entries()) {
        const out = await session.run({ x: new ort.Tensor('float32', image, DIMS) });
        expect(
          bytesOf(selfTest.vectors[i]?.outputs[OUTPUT] as EncodedTensor).equals(bytesOf(out[OUTPUT] as ort.Tensor)),
        ).toBe(true);
      }
    } finally {
      await session.release();
    }
  });

  it('refuses the variant at minAgreement 0.999: v1 stands alone, and the answer carries the measured agreement and the threshold', async () => {
    const answer = await registered('ocr-strict', form({ int8Variant: { minAgreement: 0.999 } }));
    const expected = raw.argmaxAgreement(2);
    expect(answer.version).toBe(1);
    expect(answer.int8).toMatchObject({
      refused: true,
      code: 'QUANTIZATION_REJECTED',
      agreement: expected.agreement,
      minAgreement: 0.999,
      quality: { comparedWith: 1, output: OUTPUT, metric: 'argmax', samples: 64, compared: 64 },
    });
    expect(answer.int8.message).toBe(
      `the int8 variant agrees with v1 on 98.4% (63 of 64) of the rows (predicted class) of output ${OUTPUT}; minAgreement is 99.9%`,
    );
    expect(answer.int8.version).toBeUndefined();
    expect((await versions('ocr-strict')).map((v) => v.version)).toEqual([1]);
  });

  it('records labelled accuracy of both versions, and refuses a variant whose accuracy drops more than allowed', async () => {
    // Labels: the fp32 model's own predictions on the 60 evaluation images, so v1 scores 100 %.
    const labels = raw.reference.slice(4).map((p) => argmax(p, 0, 2));
    const agreedOnEvaluation = raw.candidate.slice(4).filter((p, i) => argmax(p, 0, 2) === labels[i]).length / 60;
    const accepted = await registered(
      'ocr-labelled',
      form({ int8Variant: { maxAccuracyDrop: 0.05 }, evaluationLabels: labels }),
    );
    expect(accepted.int8.quality).toMatchObject({
      labelled: 60,
      accuracy: agreedOnEvaluation,
      referenceAccuracy: 1,
      accuracyDelta: agreedOnEvaluation - 1,
    });
    expect(accepted.int8.manifest?.quality).toEqual(accepted.int8.quality);

    const strict = await registered(
      'ocr-labelled',
      form({ int8Variant: { maxAccuracyDrop: 0 }, evaluationLabels: labels }),
    );
    expect(strict.version).toBe(3);
    expect(strict.int8).toMatchObject({ refused: true, code: 'QUANTIZATION_REJECTED' });
    expect(strict.int8.message).toBe(
      "the int8 variant's accuracy 98.3% is 1.7% below v3's 100.0% on 60 labelled rows; maxAccuracyDrop is 0.0%",
    );
  });
});

describe('the int8 variant of a keyword model (openWakeWord)', () => {
  const model = REAL_MODELS.keyword();
  const INPUT = 'onnx::Flatten_0';
  const frames = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => ({
      [INPUT]: { type: 'float32', data: randomFloats(25 * 96, from + i, [-3, 3]), dims: [1, 25, 96] } as Tensor,
    }));
  const samples = frames(10, 3);
  const evaluation = frames(100, 40);
  const cbor = (set: Record<string, Tensor>[]) => encodeCbor({ samples: set.map(encodeTensorMap) });
  const form = (metadata: Record<string, unknown>) =>
    withPart(uploadForm({ model, metadata, samples: cbor(samples) }), 'evaluation', cbor(evaluation));

  let raw: Awaited<ReturnType<typeof rawComparison>>;
  beforeAll(async () => {
    raw = await rawComparison({
      fp32: model,
      int8: quantizeDynamic(model).bytes,
      streams: [
        [...samples, ...evaluation].map((s) => ({
          [INPUT]: new ort.Tensor('float32', s[INPUT]?.data as Float32Array, [1, 25, 96]),
        })),
      ],
      output: '39',
    });
  });

  it('quantizes both large Gemm layers to MatMulInteger and registers when every score stays within 0.05', async ({
    annotate,
  }) => {
    const answer = await registered('hello-deepa', form({ int8Variant: { tolerance: { atol: 0.05 } } }));
    await annotate(`keyword int8 vs fp32: ${JSON.stringify(answer.int8.quality)}`);
    expect(answer.int8.quantized.map((q) => [q.op, q.elements])).toEqual([
      ['Gemm', 76_800],
      ['Gemm', 1024],
    ]);
    expect(answer.int8.skipped).toHaveLength(1);
    const v2 = answer.int8 as Int8Answer & Summary;
    const { model: int8Model } = await bundleParts(v2);
    const ops = onnx.ModelProto.decode(int8Model).graph?.node?.map((n) => n.opType) ?? [];
    expect(ops.filter((op) => op === 'MatMulInteger')).toHaveLength(2);
    expect(int8Model.byteLength).toBeLessThan(model.byteLength / 3);
    expect(v2.manifest.quality).toEqual({
      comparedWith: 1,
      output: '39',
      metric: 'tolerance',
      tolerance: { atol: 0.05, rtol: 0 },
      agreement: raw.withinTolerance(0.05, 0),
      samples: 43,
      compared: 43,
      maxAbsError: expect.closeTo(raw.maxAbsError, 12),
      meanAbsError: expect.closeTo(raw.meanAbsError, 12),
    });
    expect(v2.manifest.quality?.agreement).toBe(1);
  });

  it('refuses the variant at the default tolerance (0.01 + 1 %), saying how many scores moved further', async ({
    annotate,
  }) => {
    const answer = await registered('hello-deepa-strict', form({ int8Variant: {} }));
    await annotate(answer.int8.message as string);
    const expected = raw.withinTolerance(0.01, 0.01);
    expect(expected).toBeLessThan(0.95);
    expect(answer.int8).toMatchObject({
      refused: true,
      code: 'QUANTIZATION_REJECTED',
      agreement: expected,
      quality: { metric: 'tolerance', tolerance: { atol: 0.01, rtol: 0.01 }, compared: 43 },
    });
    expect(answer.int8.message).toContain(
      `(${Math.round(expected * 43)} of 43) of the elements (within tolerance) of output 39`,
    );
  });
});

describe('the int8 variant of a model with recurrent state', () => {
  const T = onnx.TensorProto.DataType;
  /** A recurrent cell: hn = tanh(x·W + h·U), y = hn·V — W and U large enough to quantize, V not. */
  function recurrentCell(): Uint8Array {
    const rng = mulberry32(99);
    const weight = (name: string, dims: number[]) => ({
      name,
      dataType: T.FLOAT,
      dims,
      floatData: Array.from({ length: dims[0]! * dims[1]! }, () => (rng() * 2 - 1) * 0.5),
    });
    const info = (name: string, dims: number[]) => ({
      name,
      type: { tensorType: { elemType: T.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
    });
    const graph = {
      name: 'cell',
      node: [
        { name: 'x_proj', opType: 'MatMul', input: ['x', 'W'], output: ['xw'] },
        { name: 'h_proj', opType: 'MatMul', input: ['h', 'U'], output: ['hu'] },
        { name: 'sum', opType: 'Add', input: ['xw', 'hu'], output: ['s'] },
        { name: 'act', opType: 'Tanh', input: ['s'], output: ['hn'] },
        { name: 'head', opType: 'MatMul', input: ['hn', 'V'], output: ['y'] },
      ],
      initializer: [weight('W', [16, 32]), weight('U', [32, 32]), weight('V', [32, 4])],
      input: [info('x', [1, 16]), info('h', [1, 32])],
      output: [info('y', [1, 4]), info('hn', [1, 32])],
    };
    const proto = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph });
    return new Uint8Array(onnx.ModelProto.encode(proto).finish());
  }

  it('measures each set as one stream in each model, every model feeding back its own state', async ({ annotate }) => {
    const model = recurrentCell();
    const frame = (seed: number) => randomFloats(16, seed, [-1, 1]);
    const sampleFrames = [1, 2, 3, 4].map(frame);
    const evaluationFrames = Array.from({ length: 12 }, (_, i) => frame(50 + i));
    const json = (frames: Float32Array[]) => frames.map((x) => ({ x: { dims: [1, 16], data: Array.from(x) } }));
    const answer = await registered(
      'cell',
      uploadForm({
        model,
        metadata: {
          samples: json(sampleFrames),
          state: [{ input: 'h', output: 'hn' }],
          evaluationSamples: json(evaluationFrames),
          int8Variant: {},
        },
      }),
    );
    expect(answer.int8.quantized.map((q) => q.node)).toEqual(['x_proj', 'h_proj']);
    await annotate(`recurrent cell int8 vs fp32: ${JSON.stringify(answer.int8.quality)}`);
    const v2 = answer.int8 as Int8Answer & Summary;
    expect(v2.manifest.state).toEqual([{ input: 'h', output: 'hn', init: 'zeros' }]);
    const { model: int8Model, selfTest } = await bundleParts(v2);
    const stream = (frames: Float32Array[]) => frames.map((x) => ({ x: new ort.Tensor('float32', x, [1, 16]) }));
    const raw = await rawComparison({
      fp32: model,
      int8: int8Model,
      streams: [stream(sampleFrames), stream(evaluationFrames)],
      output: 'y',
      state: [{ input: 'h', output: 'hn', dims: [1, 32] }],
    });
    expect(v2.manifest.quality).toMatchObject({
      output: 'y',
      metric: 'argmax',
      agreement: raw.argmaxAgreement(4).agreement,
      samples: 16,
      compared: 16,
      maxAbsError: expect.closeTo(raw.maxAbsError, 12),
    });
    // The variant's self-test set is its own stream: the int8 outputs of the four samples, state carried.
    for (const [i, vector] of selfTest.vectors.entries()) {
      expect(
        Buffer.from(bytesOf(vector.outputs.y as EncodedTensor)).equals(Buffer.from(raw.candidate[i]!.buffer)),
      ).toBe(true);
    }
  });

  it('registers silero VAD alone and refuses its variant: every Conv sits inside an If branch', async () => {
    const model = REAL_MODELS.sileroVad();
    const frames = Array.from({ length: 3 }, (_, k) =>
      Float32Array.from({ length: 512 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 220 * (k * 512 + i)) / 16000)),
    );
    const answer = await registered(
      'vad',
      uploadForm({
        model,
        metadata: {
          samples: frames.map((frame) => ({
            input: { dims: [1, 512], data: Array.from(frame) },
            sr: { dims: [], data: [16000] },
          })),
          state: [
            { input: 'h', output: 'hn' },
            { input: 'c', output: 'cn' },
          ],
          int8Variant: {},
        },
      }),
    );
    expect(answer.version).toBe(1);
    expect(answer.int8).toMatchObject({ refused: true, code: 'QUANTIZATION_REJECTED', quantized: [] });
    expect(answer.int8.message).toMatch(
      /^no MatMul, Gemm, Conv weight could be quantized \(.+: inside a subgraph \(If\/Loop\/Scan body\)\)$/,
    );
    expect(answer.int8.quality).toBeUndefined();
    expect((await versions('vad')).map((v) => v.version)).toEqual([1]);
  });
});

describe('refusing a request for an int8 variant that cannot be honoured', () => {
  const model = singleOpModel({ op: 'Relu' });
  const samples = [{ x: { dims: [1, 4], data: [1, -2, 3, -4] } }];

  it('answers 400 BODY_INVALID for options outside the schema, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ minAgreement: 2 }, 'int8Variant.minAgreement'],
      [{ ops: ['Relu'] }, 'int8Variant.ops.0'],
      [{ ops: [] }, 'int8Variant.ops'],
      [{ ops: ['Conv', 'Conv'] }, 'int8Variant.ops'],
      [{ minElements: -1 }, 'int8Variant.minElements'],
      [{ tolerance: { atol: -1 } }, 'int8Variant.tolerance.atol'],
      [{ threshold: 0.9 }, 'int8Variant'],
      ['yes', 'int8Variant'],
    ];
    for (const [int8Variant, field] of cases) {
      const error = await refused('forms', uploadForm({ model, metadata: { samples, int8Variant } }), 400);
      expect(error.code).toBe('BODY_INVALID');
      expect(error.message, JSON.stringify(int8Variant)).toContain(field);
    }
  });

  it('answers 400 for an output the model lacks, labels that do not fit, or an evaluation set without a variant — and registers nothing', async () => {
    const unknownOutput = await refused(
      'forms',
      uploadForm({ model, metadata: { samples, int8Variant: { output: 'score' } } }),
      400,
    );
    expect(unknownOutput).toMatchObject({
      code: 'BODY_INVALID',
      message: 'int8Variant.output: the model has no output score',
    });
    const evaluationSamples = [samples[0], samples[0]];
    const labels = await refused(
      'forms',
      uploadForm({ model, metadata: { samples, int8Variant: {}, evaluationSamples, evaluationLabels: [1, 2, 3] } }),
      400,
    );
    expect(labels).toMatchObject({
      code: 'BODY_INVALID',
      message: 'evaluationLabels: 3 labels for 2 rows of output y over the evaluation samples; give one per row',
    });
    const outOfRange = await refused(
      'forms',
      uploadForm({ model, metadata: { samples, int8Variant: {}, evaluationSamples, evaluationLabels: [1, 4] } }),
      400,
    );
    expect(outOfRange.message).toBe('evaluationLabels: label 1 is 4; output y has 4 classes');
    const noVariant = await refused('forms', uploadForm({ model, metadata: { samples, evaluationSamples } }), 400);
    expect(noVariant.message).toMatch(/needs `int8Variant`/);
    const alreadyInt8 = await refused(
      'forms',
      uploadForm({ model, metadata: { samples, quantization: 'int8', int8Variant: {} } }),
      400,
    );
    expect(alreadyInt8.message).toMatch(/^int8Variant: the variant is derived from an fp32 ONNX model/);
    const twice = await refused(
      'forms',
      withPart(
        uploadForm({ model, metadata: { samples, int8Variant: {}, evaluationSamples } }),
        'evaluation',
        new Uint8Array([1]),
      ),
      400,
    );
    expect(twice.message).toBe(
      'give the evaluation set once, not in metadata `evaluationSamples` and part `evaluation`',
    );
    const mismatch = await refused(
      'forms',
      uploadForm({
        model,
        metadata: { samples, int8Variant: {}, evaluationSamples: [{ x: { dims: [1, 5], data: [1, 2, 3, 4, 5] } }] },
      }),
      422,
    );
    expect(mismatch).toMatchObject({ code: 'SAMPLE_INPUTS_MISMATCH', details: { sample: 0, set: 'evaluation' } });
    expect(mismatch.message).toMatch(/^evaluation sample 0: input x dimension 1/);
    expect(await versions('forms')).toEqual([]);
  });
});

describe('a rollout to low-memory hardware', () => {
  it('sends the int8 version to the devices whose hardware profile is pi-zero, and only to them', async () => {
    const model = REAL_MODELS.keyword();
    const sample = { 'onnx::Flatten_0': { dims: [1, 25, 96], data: base64(randomFloats(2400, 7, [-3, 3])) } };
    const answer = await registered(
      'kws',
      uploadForm({ model, metadata: { samples: [sample], int8Variant: { tolerance: { atol: 0.05 } } } }),
    );
    expect(answer.int8).toMatchObject({ refused: false, version: 2 });
    const fixture = f as Fixture;
    const enrol = async (profile: string) => {
      const minted = await fixture.request('POST', '/v1/enrolment-tokens', { json: { group: 'field' } });
      const { token } = (await minted.json()) as { token: string };
      const hardware = { platform: 'linux', arch: 'arm', cpus: 1, memoryBytes: 512 * 1024 * 1024, profile };
      const res = await fixture.request('POST', '/v1/enrol', { token: null, json: { token, hardware } });
      return ((await res.json()) as { deviceId: string }).deviceId;
    };
    const zero = await enrol('pi-zero');
    await enrol('pi-4');
    const res = await fixture.request('POST', '/v1/rollouts', {
      json: { line: 'kws', version: 2, selector: { hardwareProfile: 'pi-zero' }, waves: [{ percent: 100 }] },
    });
    const rollout = (await res.json()) as { version: number; devices: { deviceId: string }[] };
    expect(res.status, JSON.stringify(rollout)).toBe(201);
    expect(rollout.version).toBe(2);
    expect(rollout.devices.map((d) => d.deviceId)).toEqual([zero]);
  });
});
