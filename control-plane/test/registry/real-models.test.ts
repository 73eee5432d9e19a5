import {
  decodeSelfTestSet,
  decodeTensorMap,
  type EncodedTensor,
  encodeCbor,
  encodeTensor,
  encodeTensorMap,
  type ManifestBody,
  mulberry32,
  type SelfTestSet,
  sha256Hex,
  type Tensor,
  type TensorSpec,
} from '@edgefleet/protocol';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBlobStore } from '../../src/index.js';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import {
  everyDTypeModel,
  fixedReshapeModel,
  npyBytes,
  ONNX_TYPES,
  REAL_MODELS,
  sequenceInputModel,
  singleOpModel,
  uploadForm,
} from './model-files.js';

const { onnx } = onnxProto;

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

interface Registered {
  version: number;
  digest: string;
  sizeBytes: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  manifest: ManifestBody;
}

interface Refusal {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

const blobs = createMemoryBlobStore();

async function register(line: string, form: FormData): Promise<Response> {
  f ??= await startFixture({ blobStore: blobs });
  return f.request('POST', `/v1/models/${line}/versions`, { body: form });
}

async function registered(line: string, form: FormData): Promise<Registered> {
  const res = await register(line, form);
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body as Registered;
}

async function refused(line: string, form: FormData, status: number): Promise<Refusal['error']> {
  const res = await register(line, form);
  const body = (await res.json()) as Refusal;
  expect(res.status, JSON.stringify(body)).toBe(status);
  return body.error;
}

/** The stored bundle: checks its digest, that it starts with the model file, and decodes its self-test set. */
async function bundleOf(v: Registered, model: Uint8Array): Promise<SelfTestSet> {
  const bytes = await blobs.get(v.digest);
  if (bytes === null) throw new Error(`no blob ${v.digest}`);
  expect(sha256Hex(bytes)).toBe(v.digest);
  expect(bytes.byteLength).toBe(v.sizeBytes);
  expect(v.manifest.modelBytes).toBe(model.byteLength);
  expect(Buffer.from(bytes.subarray(0, model.byteLength)).equals(Buffer.from(model))).toBe(true);
  const set = decodeSelfTestSet(bytes.subarray(model.byteLength));
  expect(v.manifest.selfTest).toMatchObject({ vectors: set.vectors.length, bytes: v.sizeBytes - model.byteLength });
  return set;
}

function bytesOf(t: EncodedTensor | Tensor): Buffer {
  const encoded = 'dtype' in t ? t : encodeTensor(t);
  return Buffer.from(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength);
}

/** Every output of `expected` (an onnxruntime result) equals the set's, bit for bit. */
function expectSameOutputs(actual: Record<string, EncodedTensor>, expected: ort.InferenceSession.ReturnType): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    const tensor = value as ort.Tensor;
    const mine = actual[name]!;
    expect(mine.dtype).toBe(tensor.type);
    expect(mine.dims).toEqual([...tensor.dims]);
    expect(bytesOf(mine).equals(bytesOf(tensor as unknown as Tensor)), `output ${name}`).toBe(true);
  }
}

function toOrt(feeds: Record<string, Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type, t.data as ort.Tensor.DataType, t.dims)]),
  );
}

function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (rng() * 2 - 1) * scale);
}

function base64(data: Float32Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}

const IMAGE_DIMS = [1, 3, 48, 192];
const IMAGE_ELEMENTS = 3 * 48 * 192;

describe('registering an image CNN (PaddleOCR direction classifier)', () => {
  const model = REAL_MODELS.imageClassifier();
  const images = [randomFloats(IMAGE_ELEMENTS, 1), randomFloats(IMAGE_ELEMENTS, 2)];

  it('declares the graph’s contract, symbolic dimensions by name, and self-tests every output bit for bit', async () => {
    const v = await registered(
      'ocr-direction',
      uploadForm({
        model,
        metadata: { samples: images.map((image) => ({ x: { dims: IMAGE_DIMS, data: base64(image) } })) },
      }),
    );
    const inputs = [
      {
        name: 'x',
        dtype: 'float32',
        shape: ['p2o.DynamicDimension.0', 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2'],
      },
    ];
    const outputs = [{ name: 'softmax_0.tmp_0', dtype: 'float32', shape: ['p2o.DynamicDimension.3', 2] }];
    expect(v.manifest.inputs).toEqual(inputs);
    expect(v.manifest.outputs).toEqual(outputs);
    expect({ inputs: v.inputs, outputs: v.outputs }).toEqual({ inputs, outputs });
    expect(v.manifest.selfTest?.tolerance).toEqual({ 'softmax_0.tmp_0': { atol: 1e-4, rtol: 0 } });
    expect(v.manifest.state).toBeUndefined();

    const set = await bundleOf(v, model);
    expect(set.vectors).toHaveLength(2);
    const session = await ort.InferenceSession.create(model);
    try {
      for (const [i, image] of images.entries()) {
        const vector = set.vectors[i]!;
        expect(bytesOf(vector.inputs.x!).equals(Buffer.from(image.buffer))).toBe(true);
        expectSameOutputs(vector.outputs, await session.run({ x: new ort.Tensor('float32', image, IMAGE_DIMS) }));
      }
    } finally {
      await session.release();
    }
  });

  it('accepts the samples as a .npy array, stacked along the batch axis or with a leading sample axis', async () => {
    const stacked = new Float32Array(2 * IMAGE_ELEMENTS);
    stacked.set(images[0]!, 0);
    stacked.set(images[1]!, IMAGE_ELEMENTS);
    const fromJson = await registered(
      'ocr-direction',
      uploadForm({ model, metadata: { samples: images.map((i) => ({ x: { dims: IMAGE_DIMS, data: base64(i) } })) } }),
    );
    const batchAxis = npyBytes({ type: 'float32', data: stacked, dims: [2, 3, 48, 192] });
    const sampleAxis = npyBytes({ type: 'float32', data: stacked, dims: [2, 1, 3, 48, 192] }, { version: 2 });
    for (const file of [batchAxis, sampleAxis]) {
      const v = await registered('ocr-direction', uploadForm({ model, metadata: {}, samples: file }));
      // The same samples give the same self-test set, hence the same bundle and digest.
      expect(v.digest).toBe(fromJson.digest);
    }
  });

  it('refuses a sample with a wrong dimension with 422 SAMPLE_INPUTS_MISMATCH naming sample, input and dimension', async () => {
    const error = await refused(
      'ocr-direction',
      uploadForm({
        model,
        metadata: {
          samples: [
            { x: { dims: IMAGE_DIMS, data: base64(images[0]!) } },
            { x: { dims: [1, 4, 48, 144], data: base64(images[1]!) } },
          ],
        },
      }),
      422,
    );
    expect(error.code).toBe('SAMPLE_INPUTS_MISMATCH');
    expect(error.message).toBe('sample 1: input x dimension 1 must be 3, got 4');
    expect(error.details).toMatchObject({ sample: 1, input: 'x', dim: 1, expected: 3, actual: 4 });
  });

  it('refuses tabular rows and drift reference rows for a non-tabular model, saying what they need', async () => {
    const rows = await refused('ocr-direction', uploadForm({ model, metadata: { sampleInputs: [[1, 2, 3]] } }), 422);
    expect(rows.code).toBe('SAMPLE_INPUTS_MISMATCH');
    expect(rows.message).toContain('input x must have rank 4, got 2');
    const reference = await refused(
      'ocr-direction',
      uploadForm({
        model,
        metadata: { samples: [{ x: { dims: IMAGE_DIMS, data: base64(images[0]!) } }] },
        reference: { rows: [[1, 2, 3]] },
      }),
      400,
    );
    expect(reference).toMatchObject({
      code: 'BODY_INVALID',
      message: 'reference: drift reference rows need a model with one float32 [N, F] input and no state',
    });
  });
});

describe('registering a keyword model (openWakeWord)', () => {
  const model = REAL_MODELS.keyword();
  const input = 'onnx::Flatten_0';

  it('takes CBOR named tensors and records the raw onnxruntime output', async () => {
    const samples = [0, 1, 2].map((seed) => ({
      [input]: { type: 'float32', data: randomFloats(25 * 96, seed + 10, 3), dims: [1, 25, 96] } as Tensor,
    }));
    const v = await registered(
      'hello-deepa',
      uploadForm({
        model,
        metadata: { tolerance: { '39': { atol: 1e-3, rtol: 1e-3 } } },
        samples: encodeCbor({ samples: samples.map(encodeTensorMap) }),
      }),
    );
    expect(v.manifest.inputs).toEqual([{ name: input, dtype: 'float32', shape: [1, 25, 96] }]);
    expect(v.manifest.outputs).toEqual([{ name: '39', dtype: 'float32', shape: [1, 1] }]);
    expect(v.manifest.selfTest?.tolerance).toEqual({ '39': { atol: 1e-3, rtol: 1e-3 } });
    const set = await bundleOf(v, model);
    const session = await ort.InferenceSession.create(model);
    try {
      for (const [i, sample] of samples.entries()) {
        expectSameOutputs(set.vectors[i]!.outputs, await session.run(toOrt(sample)));
      }
    } finally {
      await session.release();
    }
  });

  it('refuses a tolerance for an output the model does not have with 400 BODY_INVALID', async () => {
    const sample = { [input]: { dims: [1, 25, 96], data: base64(randomFloats(25 * 96, 4)) } };
    const error = await refused(
      'hello-deepa',
      uploadForm({ model, metadata: { samples: [sample], tolerance: { score: { atol: 0.1 } } } }),
      400,
    );
    expect(error).toMatchObject({ code: 'BODY_INVALID', message: 'tolerance.score: the model has no such output' });
  });
});

describe('registering a stateful model (Silero VAD)', () => {
  const model = REAL_MODELS.sileroVad();
  const FRAME = 512;
  const STATE = [
    { input: 'h', output: 'hn' },
    { input: 'c', output: 'cn' },
  ];
  // A tone that starts half-way: the probabilities move, so the recurrent state matters.
  const frames = Array.from({ length: 4 }, (_, k) =>
    Float32Array.from(
      { length: FRAME },
      (_, i) => (k < 2 ? 0.001 : 0.5) * Math.sin((2 * Math.PI * 220 * (k * FRAME + i)) / 16000),
    ),
  );
  const jsonSamples = frames.map((frame) => ({
    input: { dims: [1, FRAME], data: Array.from(frame) },
    sr: { dims: [], data: [16000] },
  }));

  it('runs the samples as one stream from zero state, feeding hn and cn back, exactly like a raw loop', async () => {
    const v = await registered('vad', uploadForm({ model, metadata: { samples: jsonSamples, state: STATE } }));
    expect(v.manifest.inputs).toEqual([
      { name: 'input', dtype: 'float32', shape: ['batch', 'sequence'] },
      { name: 'sr', dtype: 'int64', shape: [] },
      { name: 'h', dtype: 'float32', shape: [2, 'batch', 64] },
      { name: 'c', dtype: 'float32', shape: [2, 'batch', 64] },
    ]);
    expect(v.manifest.outputs).toEqual([
      { name: 'output', dtype: 'float32', shape: ['batch', 1] },
      { name: 'hn', dtype: 'float32', shape: [2, 'batch', 64] },
      { name: 'cn', dtype: 'float32', shape: [2, 'batch', 64] },
    ]);
    expect(v.manifest.state).toEqual(STATE.map((p) => ({ ...p, init: 'zeros' })));

    const set = await bundleOf(v, model);
    expect(set.vectors).toHaveLength(frames.length);
    const session = await ort.InferenceSession.create(model);
    try {
      let h: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
      let c: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * 64), [2, 1, 64]);
      const sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);
      const probabilities: number[] = [];
      for (const [i, frame] of frames.entries()) {
        const out = await session.run({ input: new ort.Tensor('float32', frame, [1, FRAME]), sr, h, c });
        const vector = set.vectors[i]!;
        expect(Object.keys(vector.inputs).sort()).toEqual(['input', 'sr']);
        expectSameOutputs(vector.outputs, out);
        probabilities.push((out.output!.data as Float32Array)[0]!);
        h = out.hn as ort.Tensor;
        c = out.cn as ort.Tensor;
      }
      // Not a constant: the stream really carried state and signal.
      expect(new Set(probabilities).size).toBeGreaterThan(1);
    } finally {
      await session.release();
    }
  });

  it('refuses samples that carry a state input, and state pairs that do not fit, naming them', async () => {
    const withState = await refused(
      'vad',
      uploadForm({
        model,
        metadata: {
          samples: [{ ...jsonSamples[0], h: { dims: [2, 1, 64], data: new Array(128).fill(0) } }],
          state: STATE,
        },
      }),
      422,
    );
    expect(withState).toMatchObject({
      code: 'SAMPLE_INPUTS_MISMATCH',
      message: 'sample 0: input h is recurrent state (fed from output hn); samples leave it out',
    });
    const wrongRank = await refused(
      'vad',
      uploadForm({ model, metadata: { samples: jsonSamples, state: [{ input: 'h', output: 'output' }] } }),
      400,
    );
    expect(wrongRank.code).toBe('BODY_INVALID');
    expect(wrongRank.message).toContain('output output (float32, rank 2) cannot feed input h (float32, rank 3)');
    const unknown = await refused(
      'vad',
      uploadForm({ model, metadata: { samples: jsonSamples, state: [{ input: 'hidden', output: 'hn' }] } }),
      400,
    );
    expect(unknown).toMatchObject({ code: 'BODY_INVALID', message: 'state.0: the model has no input hidden' });
  });

  it('names the missing state input when the upload declares no state', async () => {
    const error = await refused('vad', uploadForm({ model, metadata: { samples: jsonSamples } }), 422);
    expect(error).toMatchObject({ code: 'SAMPLE_INPUTS_MISMATCH', details: { sample: 0, input: 'h' } });
  });
});

describe('element types', () => {
  it('reads every supported element type from JSON numbers; floats get atol, integers and bools exact', async () => {
    const model = everyDTypeModel();
    const sample = {
      in_float32: { dims: [2], data: [0.1, -2.5] },
      in_float16: { dims: [2], data: [0.1, 65504] },
      in_int8: { dims: [2], data: [-128, 127] },
      in_uint8: { dims: [2], data: [0, 255] },
      in_int32: { dims: [2], data: [-(2 ** 31), 7] },
      in_int64: { dims: [2], data: [Number.MAX_SAFE_INTEGER, -1] },
      in_bool: { dims: [2], data: [true, 0] },
    };
    const v = await registered('dtypes', uploadForm({ model, metadata: { samples: [sample], atol: 0.01 } }));
    expect(v.manifest.selfTest?.tolerance).toMatchObject({
      out_float32: { atol: 0.01, rtol: 0 },
      out_float16: { atol: 0.01, rtol: 0 },
      out_int8: { atol: 0, rtol: 0 },
      out_int64: { atol: 0, rtol: 0 },
      out_bool: { atol: 0, rtol: 0 },
    });
    const outputs = decodeTensorMap((await bundleOf(v, model)).vectors[0]!.outputs);
    expect(Array.from(outputs.out_float32!.data as Float32Array)).toEqual([Math.fround(0.1), -2.5]);
    // numpy.float16(0.1).view(numpy.uint16) == 0x2e66; 65504 is the largest binary16.
    expect(Array.from(outputs.out_float16!.data as Uint16Array)).toEqual([0x2e66, 0x7bff]);
    expect(Array.from(outputs.out_int8!.data as Int8Array)).toEqual([-128, 127]);
    expect(Array.from(outputs.out_uint8!.data as Uint8Array)).toEqual([0, 255]);
    expect(Array.from(outputs.out_int32!.data as Int32Array)).toEqual([-(2 ** 31), 7]);
    expect(Array.from(outputs.out_int64!.data as BigInt64Array)).toEqual([BigInt(Number.MAX_SAFE_INTEGER), -1n]);
    expect(outputs.out_bool).toMatchObject({ type: 'bool', dims: [2] });
    expect(Array.from(outputs.out_bool!.data as Uint8Array)).toEqual([1, 0]);
  });

  it('refuses a number outside an integer type with 400 BODY_INVALID naming the element', async () => {
    const model = singleOpModel({ op: 'Identity', elemType: ONNX_TYPES.INT8, dims: [2] });
    const error = await refused(
      'dtypes',
      uploadForm({ model, metadata: { samples: [{ x: { dims: [2], data: [1, 300] } }] } }),
      400,
    );
    expect(error).toMatchObject({
      code: 'BODY_INVALID',
      message: "samples.0.x: data.1 (300) is outside int8's range",
    });
  });
});

describe('refusing models no device could run', () => {
  const samples = [{ x: { dims: [1, 4], data: [1, 2, 3, 4] } }];

  it('refuses bytes that are not ONNX with 422 MODEL_LOAD_FAILED', async () => {
    const error = await refused(
      'bad',
      uploadForm({ model: new TextEncoder().encode('not an onnx model'), metadata: { samples } }),
      422,
    );
    expect(error.code).toBe('MODEL_LOAD_FAILED');
    expect(error.message).toContain('protobuf parsing failed');
  });

  it('refuses a string input, a float64 output and a sequence input with 422 MODEL_DTYPE_UNSUPPORTED', async () => {
    const stringInput = await refused(
      'bad',
      uploadForm({ model: singleOpModel({ op: 'Identity', elemType: ONNX_TYPES.STRING }), metadata: { samples } }),
      422,
    );
    expect(stringInput).toMatchObject({ code: 'MODEL_DTYPE_UNSUPPORTED', details: { input: 'x', dtype: 'string' } });
    expect(stringInput.message).toMatch(/^input x has element type string/);
    const doubleOutput = await refused(
      'bad',
      uploadForm({
        model: singleOpModel({
          op: 'Cast',
          outType: ONNX_TYPES.DOUBLE,
          attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: ONNX_TYPES.DOUBLE }],
        }),
        metadata: { samples },
      }),
      422,
    );
    expect(doubleOutput).toMatchObject({ code: 'MODEL_DTYPE_UNSUPPORTED', details: { output: 'y', dtype: 'float64' } });
    const sequence = await refused('bad', uploadForm({ model: sequenceInputModel(), metadata: { samples } }), 422);
    expect(sequence).toMatchObject({
      code: 'MODEL_DTYPE_UNSUPPORTED',
      message: 'input xs is not a tensor (a sequence or map)',
    });
  });

  it('refuses an unknown operator, an opset newer than onnxruntime’s and a missing CPU kernel with 422 MODEL_OPERATOR_UNSUPPORTED', async () => {
    const models = {
      unknown: singleOpModel({ op: 'FrobnicateXYZ' }),
      opset: singleOpModel({ op: 'Relu', opset: 99 }),
      kernel: singleOpModel({ op: 'Relu', elemType: ONNX_TYPES.INT16, opset: 14 }),
    };
    const messages: string[] = [];
    for (const model of Object.values(models)) {
      const error = await refused('bad', uploadForm({ model, metadata: { samples } }), 422);
      expect(error.code).toBe('MODEL_OPERATOR_UNSUPPORTED');
      messages.push(error.message);
    }
    expect(messages[0]).toMatch(/^the model uses operator FrobnicateXYZ with domain_version of 17/);
    expect(messages[1]).toMatch(/^the model is stamped with Opset 99/);
    expect(messages[2]).toMatch(/no kernel for Relu\(14\)/);
  });

  it('refuses samples the model throws on with 422 SAMPLE_INPUTS_MISMATCH carrying onnxruntime’s message', async () => {
    const error = await refused(
      'bad',
      uploadForm({
        model: fixedReshapeModel(),
        metadata: { samples: [{ x: { dims: [3], data: [1, 2, 3] } }, { x: { dims: [4], data: [1, 2, 3, 4] } }] },
      }),
      422,
    );
    expect(error.code).toBe('SAMPLE_INPUTS_MISMATCH');
    expect(error.message).toMatch(/^the model fails on sample 1: .*Reshape/s);
    expect(error.details).toMatchObject({ sample: 1 });
  });
});

describe('sample upload forms', () => {
  const model = singleOpModel({ op: 'Relu' });

  it('refuses samples given twice, given not at all, or in a file that is neither .npy nor CBOR', async () => {
    const twice = await refused(
      'forms',
      uploadForm({ model, metadata: { sampleInputs: [[1, 2, 3, 4]] }, samples: new Uint8Array([1, 2]) }),
      400,
    );
    expect(twice).toMatchObject({
      code: 'BODY_INVALID',
      message: 'give the sample inputs once, not in metadata `sampleInputs` and part `samples`',
    });
    expect((await refused('forms', uploadForm({ model, metadata: {} }), 400)).message).toMatch(
      /^sample inputs are required/,
    );
    const garbage = await refused(
      'forms',
      uploadForm({ model, metadata: {}, samples: new Uint8Array([0xff, 0]) }),
      400,
    );
    expect(garbage.message).toMatch(/^part `samples` is neither a .npy file nor CBOR/);
  });

  it('refuses a big-endian or Fortran-order .npy with 400 BODY_INVALID saying why', async () => {
    const tensor: Tensor = { type: 'float32', data: new Float32Array(8), dims: [2, 4] };
    const bigEndian = await refused(
      'forms',
      uploadForm({ model, metadata: {}, samples: npyBytes(tensor, { descr: '>f4' }) }),
      400,
    );
    expect(bigEndian.message).toMatch(/element type >f4 is not supported/);
    const truncated = npyBytes(tensor).subarray(0, 100);
    expect((await refused('forms', uploadForm({ model, metadata: {}, samples: truncated }), 400)).message).toMatch(
      /holds \d+ data bytes, shape \(2, 4\) of <f4 needs 32/,
    );
  });

  it('takes tabular rows as [1, F] float32 samples of the one input', async () => {
    const v = await registered('forms', uploadForm({ model, metadata: { sampleInputs: [[-1, 2, -3, 4]] } }));
    const [vector] = (await bundleOf(v, model)).vectors;
    expect(vector!.inputs.x).toMatchObject({ dtype: 'float32', dims: [1, 4] });
    expect(Array.from(decodeTensorMap(vector!.outputs).y!.data as Float32Array)).toEqual([0, 2, 0, 4]);
  });
});
