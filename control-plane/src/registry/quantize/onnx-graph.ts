/**
 * Owns the ONNX protobuf plumbing the quantizer needs: decoding untrusted bytes into a ModelProto (and turning
 * every failure into MODEL_LOAD_FAILED), encoding back, reading and writing tensors, node attributes, and
 * unique names for the tensors and nodes the rewrite adds. onnx-proto is generated from ONNX 1.10, so fields
 * added to the format later are not kept by a decode/encode round trip.
 */
import onnxProto from 'onnx-proto';
import { ControlPlaneError } from '../../errors.js';

// onnx-proto is CommonJS assigning `module.exports = { onnx }`; Node exposes that only as the default export.
export const { onnx } = onnxProto;
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export const { FLOAT, INT8, INT64 } = onnx.TensorProto.DataType;

// ONNX raw_data is little-endian whatever the host byte order; on little-endian hosts bytes can be viewed directly.
const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** int64 fields decode as `Long` when protobufjs finds long.js, as plain numbers otherwise. */
type Int64 = number | { toNumber(): number };

export function toNumber(value: Int64 | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', 'bytes are not an ONNX ModelProto', { cause });
  }
  // Protobuf decodes many byte strings without complaint; a model must at least carry a graph with nodes and
  // say which operator set it was written against.
  if (!model.graph || (model.graph.node?.length ?? 0) === 0 || (model.opsetImport?.length ?? 0) === 0) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', 'ONNX model has no graph, nodes or opset import');
  }
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  // protobufjs may hand back a slice of a shared pool; copy so callers own plain bytes.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

export function elementCount(tensor: TensorProto): number {
  return (tensor.dims ?? []).reduce<number>((count, dim) => count * toNumber(dim), 1);
}

/** Float32 contents of a tensor stored inline, or undefined for other types and external data. */
export function readFloats(tensor: TensorProto): Float32Array | undefined {
  if (tensor.dataType !== FLOAT || tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) return undefined;
  const count = elementCount(tensor);
  const raw = tensor.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== count * 4) return undefined;
    if (LITTLE_ENDIAN_HOST) {
      // Copy into a fresh, 4-byte-aligned buffer the result owns: decoded bytes are often a Node Buffer
      // view into a shared pool, on which slice() would not copy.
      const aligned = new Uint8Array(raw.length);
      aligned.set(raw);
      return new Float32Array(aligned.buffer);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
  }
  const data = tensor.floatData ?? [];
  return data.length === count ? Float32Array.from(data) : undefined;
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array): TensorProto {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return { name, dataType: FLOAT, dims: [...dims], rawData };
}

export function int8Tensor(name: string, dims: readonly number[], values: Int8Array): TensorProto {
  return {
    name,
    dataType: INT8,
    dims: [...dims],
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.length).slice(),
  };
}

export function int64Tensor(name: string, values: readonly number[]): TensorProto {
  const rawData = new Uint8Array(values.length * 8);
  const view = new DataView(rawData.buffer);
  for (const [i, v] of values.entries()) view.setBigInt64(i * 8, BigInt(v), true);
  return { name, dataType: INT64, dims: [values.length], rawData };
}

export function intAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? toNumber(attribute.i) : fallback;
}

export function floatAttribute(node: NodeProto, name: string, fallback: number): number {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? (attribute.f ?? 0) : fallback;
}

export function intsAttribute(node: NodeProto, name: string): number[] | undefined {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? (attribute.ints ?? []).map(toNumber) : undefined;
}

export function intAttributeProto(name: string, i: number): onnxProto.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function isDefaultDomain(node: NodeProto): boolean {
  return !node.domain || node.domain === 'ai.onnx';
}

/** Every node of a graph and of the subgraphs (If/Loop/Scan bodies) inside it. */
export function* allNodes(graph: GraphProto): Generator<NodeProto> {
  for (const node of graph.node ?? []) {
    yield node;
    for (const a of node.attribute ?? []) {
      for (const sub of [a.g, ...(a.graphs ?? [])]) if (sub) yield* allNodes(sub);
    }
  }
}

/** Hands out names that collide with nothing already in the model nor with each other. */
export class NameAllocator {
  readonly #taken = new Set<string>();

  constructor(graph: GraphProto) {
    for (const node of allNodes(graph)) {
      if (node.name) this.#taken.add(node.name);
      for (const name of [...(node.input ?? []), ...(node.output ?? [])]) this.#taken.add(name);
    }
    for (const list of [graph.initializer, graph.input, graph.output, graph.valueInfo]) {
      for (const item of list ?? []) if (item.name) this.#taken.add(item.name);
    }
  }

  fresh(wanted: string): string {
    let name = wanted;
    for (let n = 1; this.#taken.has(name); n++) name = `${wanted}_${n}`;
    this.#taken.add(name);
    return name;
  }
}
