/**
 * The element types a model contract may name (the ONNX TensorProto types onnxruntime-node's CPU provider
 * runs for edge models) and the typed array that holds each one in memory. The in-memory form follows
 * onnxruntime's own `Tensor` (`type`, `data`, `dims`) so a tensor the runtime returns is handed to callers
 * as it is: no copy. float16 travels as its raw IEEE 754 binary16 bits in a Uint16Array (Node 20 has no
 * Float16Array), bool as one byte per element (0 or 1), int64 as a BigInt64Array.
 */

export const TENSOR_DTYPES = Object.freeze(['float32', 'float16', 'int8', 'uint8', 'int32', 'int64', 'bool'] as const);

export type TensorDType = (typeof TENSOR_DTYPES)[number];

export interface TypedArrayOf {
  float32: Float32Array;
  float16: Uint16Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TensorArray = TypedArrayOf[TensorDType];

type ArrayConstructorOf<T> = { new (length: number): T; new (buffer: ArrayBuffer, offset: number, length: number): T };

export const ARRAY_OF: { readonly [K in TensorDType]: ArrayConstructorOf<TypedArrayOf[K]> } = Object.freeze({
  float32: Float32Array,
  float16: Uint16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
});

export const BYTES_PER_ELEMENT: { readonly [K in TensorDType]: number } = Object.freeze({
  float32: 4,
  float16: 2,
  int8: 1,
  uint8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
});

export function isTensorDType(value: unknown): value is TensorDType {
  return typeof value === 'string' && (TENSOR_DTYPES as readonly string[]).includes(value);
}

/** Whether `data` is the typed array `type` is held in (float16 and bool share their array with integers). */
export function holdsDType(type: TensorDType, data: unknown): boolean {
  return data instanceof ARRAY_OF[type];
}

/** IEEE 754 binary16 bits → number (for summaries and comparisons; inference passes the bits as they are). */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Element `i` of a tensor's data as a number (int64 beyond 2^53 loses precision; bool is 0 or 1). */
export function elementAsNumber(type: TensorDType, data: TensorArray, i: number): number {
  const value = data[i] as number | bigint;
  if (type === 'float16') return float16ToNumber(value as number);
  return typeof value === 'bigint' ? Number(value) : value;
}
