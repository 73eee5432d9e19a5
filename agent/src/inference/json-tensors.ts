/**
 * Named tensors in JSON for the local HTTP API: `{ dims, data, dtype? }` per input, `data` a flat row-major
 * array of numbers (booleans for bool; int64 as safe integers or decimal strings) or a base64 string of the
 * little-endian bytes; `dtype` defaults to the model's. Outputs go back as `{ dtype, dims, data }` with
 * numbers (int64 beyond 2^53 loses precision in JSON; the CBOR form keeps it). Every malformed tensor is an
 * INPUT_INVALID naming the input; shape checks against the contract happen in the inference service.
 */
import {
  ARRAY_OF,
  BYTES_PER_ELEMENT,
  elementAsNumber,
  elementCount,
  isTensorDType,
  TENSOR_LIMITS,
  type Tensor,
  type TensorDType,
  type TensorSpec,
} from '@edgefleet/protocol';
import { AgentError } from '../errors.js';

function invalid(input: string, message: string): AgentError {
  return new AgentError('INPUT_INVALID', `input ${input}: ${message}`, { details: { input } });
}

function dimsOf(input: string, value: unknown): number[] {
  if (!Array.isArray(value) || value.length > TENSOR_LIMITS.maxRank) {
    throw invalid(input, `dims must be an array of at most ${TENSOR_LIMITS.maxRank} sizes`);
  }
  for (const d of value) {
    if (!Number.isInteger(d) || d < 0 || d > TENSOR_LIMITS.maxElements)
      throw invalid(input, 'dims must be non-negative integers');
  }
  return value as number[];
}

function fromBase64(input: string, type: TensorDType, text: string, count: number): Tensor {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== count * BYTES_PER_ELEMENT[type]) {
    throw invalid(
      input,
      `base64 data holds ${bytes.byteLength} bytes, dims and ${type} need ${count * BYTES_PER_ELEMENT[type]}`,
    );
  }
  const copy = new Uint8Array(bytes);
  return { type, data: new ARRAY_OF[type](copy.buffer, 0, count), dims: [] } as unknown as Tensor;
}

function element(input: string, type: TensorDType, value: unknown, i: number): number | bigint {
  if (type === 'bool') {
    if (value === true || value === 1) return 1;
    if (value === false || value === 0) return 0;
    throw invalid(input, `element ${i} must be a boolean`);
  }
  if (type === 'int64') {
    if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) return BigInt(value);
    if (Number.isSafeInteger(value)) return BigInt(value as number);
    throw invalid(input, `element ${i} must be a safe integer or a decimal string`);
  }
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(input, `element ${i} must be a finite number`);
  if (type !== 'float32' && type !== 'float16' && !Number.isInteger(value))
    throw invalid(input, `element ${i} must be an integer`);
  return value;
}

export function tensorFromJson(input: string, value: unknown, spec: TensorSpec | undefined): Tensor {
  if (typeof value !== 'object' || value === null) throw invalid(input, 'must be { dims, data, dtype? }');
  const { dims: rawDims, data, dtype } = value as Record<string, unknown>;
  const type = dtype ?? spec?.dtype ?? 'float32';
  if (!isTensorDType(type)) throw invalid(input, `unknown dtype ${String(type)}`);
  if (type === 'float16' && !(typeof data === 'string'))
    throw invalid(input, 'float16 data must be base64 of the raw binary16 bits');
  const dims = dimsOf(input, rawDims);
  const count = elementCount(dims);
  if (count > TENSOR_LIMITS.maxElements)
    throw invalid(input, `${count} elements is more than ${TENSOR_LIMITS.maxElements}`);
  if (typeof data === 'string') return { ...fromBase64(input, type, data, count), dims } as Tensor;
  if (!Array.isArray(data) || data.length !== count) {
    throw invalid(input, `data must be a flat array of ${count} elements (the product of dims)`);
  }
  const out = new ARRAY_OF[type](count);
  for (let i = 0; i < count; i++) (out as unknown as Array<number | bigint>)[i] = element(input, type, data[i], i);
  return { type, data: out, dims } as Tensor;
}

export function tensorToJson(tensor: Tensor): { dtype: TensorDType; dims: number[]; data: number[] } {
  const n = tensor.data.length;
  const data: number[] = new Array(n);
  for (let i = 0; i < n; i++) data[i] = elementAsNumber(tensor.type, tensor.data, i);
  return { dtype: tensor.type, dims: [...tensor.dims], data };
}
