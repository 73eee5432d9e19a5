/**
 * Named tensors: the in-memory form (`Tensor`, shaped like onnxruntime's) and the wire form (`EncodedTensor`:
 * element type, dims and the elements as little-endian bytes in one CBOR byte string), with the conversions
 * between them. The wire form is what self-test sets, reference sets and the agent's binary HTTP API carry:
 * a 150 KB image stays 150 KB instead of becoming a JSON array of numbers.
 */
import { z } from 'zod';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { ARRAY_OF, BYTES_PER_ELEMENT, TENSOR_DTYPES, type TensorDType, type TypedArrayOf } from './dtypes.js';

export const TENSOR_LIMITS = Object.freeze({
  maxRank: 8,
  /** Elements of one tensor on any path (64 Mi: a 256 MiB float32 tensor). */
  maxElements: 64 * 1024 * 1024,
});

export interface Tensor<T extends TensorDType = TensorDType> {
  readonly type: T;
  readonly data: TypedArrayOf[T];
  readonly dims: readonly number[];
}

export type TensorMap = Readonly<Record<string, Tensor>>;

export const dimsSchema = z.array(z.int().min(0).max(TENSOR_LIMITS.maxElements)).max(TENSOR_LIMITS.maxRank);

export const encodedTensorSchema = z
  .object({
    dtype: z.enum(TENSOR_DTYPES),
    dims: dimsSchema,
    /** The elements, row-major, little-endian. */
    data: z.instanceof(Uint8Array),
  })
  .refine((t) => t.data.byteLength === elementCount(t.dims) * BYTES_PER_ELEMENT[t.dtype], {
    message: 'data length does not match dims and dtype',
    path: ['data'],
  });

export type EncodedTensor = z.infer<typeof encodedTensorSchema>;

export const tensorNameSchema = z.string().min(1).max(128);

export const encodedTensorMapSchema = z
  .record(tensorNameSchema, encodedTensorSchema)
  .refine((m) => Object.keys(m).length <= 64, 'at most 64 tensors');

export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The wire form of a tensor (a view of its bytes: no copy on little-endian machines). */
export function encodeTensor(tensor: Tensor): EncodedTensor {
  if (!littleEndian) throw new ProtocolError('INTERNAL', 'big-endian hosts are not supported');
  const { data } = tensor;
  return {
    dtype: tensor.type,
    dims: [...tensor.dims],
    data: new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength),
  };
}

/** The in-memory form; copies the bytes when they are not aligned for the element type. */
export function decodeTensor(encoded: EncodedTensor): Tensor {
  const { dtype, data } = encoded;
  const width = BYTES_PER_ELEMENT[dtype];
  const aligned = data.byteOffset % width === 0 ? data : data.slice();
  const Array_ = ARRAY_OF[dtype];
  return {
    type: dtype,
    data: new Array_(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / width),
    dims: encoded.dims,
  } as Tensor;
}

export function encodeTensorMap(tensors: TensorMap): Record<string, EncodedTensor> {
  const out: Record<string, EncodedTensor> = {};
  for (const [name, tensor] of Object.entries(tensors)) out[name] = encodeTensor(tensor);
  return out;
}

export function decodeTensorMap(encoded: Readonly<Record<string, EncodedTensor>>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(encoded)) out[name] = decodeTensor(tensor);
  return out;
}

/** A zero-filled tensor of the given type and dims (initial recurrent state, padding). */
export function zerosTensor(type: TensorDType, dims: readonly number[]): Tensor {
  return { type, data: new ARRAY_OF[type](elementCount(dims)), dims: [...dims] } as Tensor;
}
