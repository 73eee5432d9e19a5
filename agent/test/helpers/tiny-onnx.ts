/**
 * Tiny ONNX graphs for tests that need more than the iris classifier's one float32 input and one output:
 * a two-input / two-output graph with an int64 tensor, and a recurrent accumulator. The agent does not
 * depend on onnx-proto (only the test kit does), so the few ModelProto fields these graphs use are written
 * here directly in the protobuf wire format (onnx/onnx.proto3 field numbers; proto3 varint and
 * length-delimited encodings). onnxruntime-node parses and runs the result like any exported model.
 */
import type { StatePair, TensorDType, TensorSpec } from '@edgefleet/protocol';

// onnx.proto3 TensorProto.DataType.
const ELEM_TYPE: Readonly<Record<TensorDType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
};
const ATTRIBUTE_INT = 2;
const OPSET_VERSION = 17;
const IR_VERSION = 8;

function varint(value: number): number[] {
  const out: number[] = [];
  let n = value;
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

const int = (field: number, value: number): number[] => [...varint(field << 3), ...varint(value)];
const bytes = (field: number, data: readonly number[]): number[] => [
  ...varint((field << 3) | 2),
  ...varint(data.length),
  ...data,
];
const str = (field: number, value: string): number[] => bytes(field, [...new TextEncoder().encode(value)]);

/** ValueInfoProto{name=1, type=2{tensor_type=1{elem_type=1, shape=2{dim=1{dim_value=1 | dim_param=2}}}}}. */
function valueInfo(spec: TensorSpec): number[] {
  const dims = spec.shape.flatMap((d) => bytes(1, typeof d === 'string' ? str(2, d) : d > 0 ? int(1, d) : []));
  const tensorType = [...int(1, ELEM_TYPE[spec.dtype]), ...bytes(2, dims)];
  return [...str(1, spec.name), ...bytes(2, bytes(1, tensorType))];
}

export interface TinyNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly intAttributes?: Readonly<Record<string, number>>;
}

export interface TinyGraph {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  readonly nodes: readonly TinyNode[];
}

/** NodeProto{input=1, output=2, name=3, op_type=4, attribute=5{name=1, i=3, type=20}}. */
function node(n: TinyNode, index: number): number[] {
  const attributes = Object.entries(n.intAttributes ?? {}).flatMap(([name, value]) =>
    bytes(5, [...str(1, name), ...int(3, value), ...int(20, ATTRIBUTE_INT)]),
  );
  return [
    ...n.inputs.flatMap((name) => str(1, name)),
    ...n.outputs.flatMap((name) => str(2, name)),
    ...str(3, `${n.op}_${index}`),
    ...str(4, n.op),
    ...attributes,
  ];
}

/** ModelProto{ir_version=1, producer_name=2, graph=7{node=1, name=2, input=11, output=12}, opset_import=8}. */
export function buildTinyOnnx(graph: TinyGraph): Uint8Array {
  const body = [
    ...graph.nodes.flatMap((n, i) => bytes(1, node(n, i))),
    ...str(2, 'tiny'),
    ...graph.inputs.flatMap((spec) => bytes(11, valueInfo(spec))),
    ...graph.outputs.flatMap((spec) => bytes(12, valueInfo(spec))),
  ];
  return Uint8Array.from([
    ...int(1, IR_VERSION),
    ...str(2, 'edgefleet-agent-test'),
    ...bytes(7, body),
    ...bytes(8, int(2, OPSET_VERSION)),
  ]);
}

/**
 * Two inputs, two outputs, two element types: `shifted = x + float(offset)` (float32 [batch, 3]) and
 * `squared = offset · offset` (int64 [batch, 1]). `batch` is symbolic, so both inputs must agree on it.
 */
export const TWO_BY_TWO: TinyGraph = Object.freeze<TinyGraph>({
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['batch', 3] },
    { name: 'offset', dtype: 'int64', shape: ['batch', 1] },
  ],
  outputs: [
    { name: 'shifted', dtype: 'float32', shape: ['batch', 3] },
    { name: 'squared', dtype: 'int64', shape: ['batch', 1] },
  ],
  nodes: [
    { op: 'Cast', inputs: ['offset'], outputs: ['offset_f'], intAttributes: { to: ELEM_TYPE.float32 } },
    { op: 'Add', inputs: ['x', 'offset_f'], outputs: ['shifted'] },
    { op: 'Mul', inputs: ['offset', 'offset'], outputs: ['squared'] },
  ],
});

/**
 * A recurrent accumulator: `h_next = h + x` and `total` (the same sum) — with the state pair h_next → h,
 * each call of a stream answers the running sum of everything the stream has sent.
 */
export const ACCUMULATOR: TinyGraph = Object.freeze<TinyGraph>({
  inputs: [
    { name: 'x', dtype: 'float32', shape: ['batch', 2] },
    { name: 'h', dtype: 'float32', shape: ['batch', 2] },
  ],
  outputs: [
    { name: 'total', dtype: 'float32', shape: ['batch', 2] },
    { name: 'h_next', dtype: 'float32', shape: ['batch', 2] },
  ],
  nodes: [
    { op: 'Add', inputs: ['h', 'x'], outputs: ['h_next'] },
    { op: 'Identity', inputs: ['h_next'], outputs: ['total'] },
  ],
});

export const ACCUMULATOR_STATE: readonly StatePair[] = Object.freeze([{ input: 'h', output: 'h_next', init: 'zeros' }]);
