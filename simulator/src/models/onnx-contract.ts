/**
 * Reads a model file's inputs and outputs (name, element type, shape) straight from the ONNX protobuf, so a
 * scenario's data generators are checked against the model before a control plane is started and a wrong
 * `dims` is refused with the scenario field that holds it. The registry stays the authority (it loads the
 * file in onnxruntime); this reader only walks ModelProto.graph's `input`, `output` and `initializer`
 * fields (onnx/onnx.proto3, IR version 3 and later) and skips everything else unparsed.
 */
import type { TensorDType, TensorSpec } from '@edgefleet/protocol';

export interface ModelContract {
  /** Graph inputs that are not initializers (IR < 4 lists weights as inputs too). */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** TensorProto.DataType numbers (onnx.proto3) of the element types the agent serves. */
const ELEMENT_TYPES: Readonly<Record<number, TensorDType>> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
};

// Field numbers of onnx.proto3.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_NAME = 8;
const VALUE_INFO_NAME = 1;
const VALUE_INFO_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const TENSOR_TYPE_SHAPE = 2;
const SHAPE_DIM = 1;
const DIM_VALUE = 1;
const DIM_PARAM = 2;

type Field = { readonly number: number; readonly varint: number; readonly bytes: Uint8Array | null };

class ProtobufError extends Error {}

/** The fields of one protobuf message, in order; LEN fields as views (no copy), varints as numbers. */
function* fields(message: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (at >= message.length) throw new ProtobufError('truncated varint');
      const byte = message[at++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (scale > 2 ** 63) throw new ProtobufError('varint longer than 64 bits');
    }
  };
  while (at < message.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key % 8) {
      case 0:
        yield { number, varint: varint(), bytes: null };
        break;
      case 1:
        at += 8;
        break;
      case 2: {
        const length = varint();
        if (at + length > message.length) throw new ProtobufError('field runs past the end of its message');
        yield { number, varint: 0, bytes: message.subarray(at, at + length) };
        at += length;
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new ProtobufError(`unsupported wire type ${key % 8}`);
    }
    if (at > message.length) throw new ProtobufError('truncated fixed-width field');
  }
}

const text = new TextDecoder('utf-8', { fatal: true });

function stringField(message: Uint8Array, number: number): string | undefined {
  let value: string | undefined;
  for (const f of fields(message)) if (f.number === number && f.bytes !== null) value = text.decode(f.bytes);
  return value;
}

function messageField(message: Uint8Array, number: number): Uint8Array | undefined {
  let value: Uint8Array | undefined;
  for (const f of fields(message)) if (f.number === number && f.bytes !== null) value = f.bytes;
  return value;
}

/** A dimension: its size, its symbol, or -1 when the graph leaves it open (or writes a size ≤ 0). */
function dimension(message: Uint8Array): TensorSpec['shape'][number] {
  for (const f of fields(message)) {
    if (f.number === DIM_VALUE && f.bytes === null) return f.varint > 0 ? f.varint : -1;
    if (f.number === DIM_PARAM && f.bytes !== null && f.bytes.length > 0) return text.decode(f.bytes);
  }
  return -1;
}

function valueInfo(message: Uint8Array): TensorSpec {
  const name = stringField(message, VALUE_INFO_NAME) ?? '';
  const tensor = messageField(messageField(message, VALUE_INFO_TYPE) ?? new Uint8Array(), TYPE_TENSOR);
  if (tensor === undefined) throw new ProtobufError(`${name || 'a graph value'} is not a tensor`);
  let elementType = 0;
  const shape: TensorSpec['shape'] = [];
  for (const f of fields(tensor)) {
    if (f.number === TENSOR_TYPE_ELEM && f.bytes === null) elementType = f.varint;
    if (f.number === TENSOR_TYPE_SHAPE && f.bytes !== null) {
      for (const d of fields(f.bytes)) if (d.number === SHAPE_DIM && d.bytes !== null) shape.push(dimension(d.bytes));
    }
  }
  const dtype = ELEMENT_TYPES[elementType];
  if (dtype === undefined) throw new ProtobufError(`${name} has ONNX element type ${elementType}, which is not served`);
  return { name, dtype, shape };
}

/** The contract of an ONNX model file; a message saying why when the bytes are not one. */
export function readModelContract(bytes: Uint8Array): ModelContract | string {
  try {
    const graph = messageField(bytes, MODEL_GRAPH);
    if (graph === undefined) return 'not an ONNX model (no graph)';
    const initializers = new Set<string>();
    const inputs: TensorSpec[] = [];
    const outputs: TensorSpec[] = [];
    for (const f of fields(graph)) {
      if (f.bytes === null) continue;
      if (f.number === GRAPH_INITIALIZER) initializers.add(stringField(f.bytes, TENSOR_NAME) ?? '');
      else if (f.number === GRAPH_INPUT) inputs.push(valueInfo(f.bytes));
      else if (f.number === GRAPH_OUTPUT) outputs.push(valueInfo(f.bytes));
    }
    if (outputs.length === 0) return 'not an ONNX model (its graph has no outputs)';
    return { inputs: inputs.filter((s) => !initializers.has(s.name)), outputs };
  } catch (error) {
    if (error instanceof ProtobufError || error instanceof TypeError) return `not an ONNX model (${error.message})`;
    throw error;
  }
}

/** `float32 [batch, 3, 48, -1]`: how messages show a tensor's contract. */
export function describeSpec(spec: TensorSpec): string {
  return `${spec.dtype} [${spec.shape.join(', ')}]`;
}
