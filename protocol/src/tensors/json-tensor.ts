/**
 * Named tensors written as JSON, one parser for every place that takes them (registry samples and
 * reference sets, the agent's local HTTP API): `{ dims, data, dtype? }` with `data` either the elements as
 * a flat row-major array or a base64 string of their little-endian bytes (the wire form's bytes, for
 * tensors too large to write out). Numbers are held to their type: integers in range for the integer types
 * (int64 also as decimal strings, beyond 2^53), 0/1 or true/false for bool, and float16 rounded to the
 * nearest binary16 the way numpy does. A problem comes back as a sentence; the caller wraps it in its error.
 */
import { z } from 'zod';
import { ARRAY_OF, BYTES_PER_ELEMENT, elementAsNumber, TENSOR_DTYPES, type TensorDType } from './dtypes.js';
import { dimsSchema, elementCount, type Tensor } from './tensor.js';

/** Elements one JSON tensor may spell out (larger inputs travel as base64, CBOR or a file). */
export const MAX_JSON_ELEMENTS = 1 << 22;

export const jsonTensorSchema = z.strictObject({
  dtype: z.enum(TENSOR_DTYPES).optional(),
  dims: dimsSchema,
  data: z.union([
    z.array(z.union([z.number(), z.boolean(), z.string().regex(/^-?\d{1,19}$/)])).max(MAX_JSON_ELEMENTS),
    z.string().max(4 * Math.ceil((16 * 1024 * 1024) / 3)),
  ]),
});

export type JsonTensor = z.infer<typeof jsonTensorSchema>;

const INTEGER_RANGE: Partial<Record<TensorDType, readonly [number | bigint, number | bigint]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  bool: [0, 1],
};

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  return rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
}

/** The IEEE 754 binary16 bits nearest to `value` (ties to even), rounding straight from the double. */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  // 65520 is halfway between the largest binary16 (65504) and 2^16: from there on it rounds to infinity.
  if (a >= 65520) return sign | 0x7c00;
  // Subnormals are multiples of 2^-24; a result of 1024 is the smallest normal, whose bits are 0x0400 too.
  if (a < 2 ** -14) return sign | roundHalfEven(a * 2 ** 24);
  let exponent = Math.floor(Math.log2(a));
  if (2 ** exponent > a) exponent--;
  else if (2 ** (exponent + 1) <= a) exponent++;
  let mantissa = roundHalfEven((a / 2 ** exponent - 1) * 1024);
  if (mantissa === 1024) {
    mantissa = 0;
    exponent++;
  }
  if (exponent > 15) return sign | 0x7c00;
  return sign | ((exponent + 15) << 10) | mantissa;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** One element as `type` holds it, or why it cannot be. */
function elementOf(type: TensorDType, raw: number | boolean | string): number | bigint | string {
  if (typeof raw === 'string') {
    if (type !== 'int64') return 'a decimal string (only int64 takes those)';
    const big = BigInt(raw);
    const [low, high] = INTEGER_RANGE.int64 as [bigint, bigint];
    return big >= low && big <= high ? big : "out of int64's range";
  }
  const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
  if (!Number.isFinite(v)) return 'not a finite number';
  const range = INTEGER_RANGE[type];
  if (range === undefined) return type === 'float16' ? float16Bits(v) : v;
  if (!Number.isInteger(v)) return `not ${type === 'bool' ? '0/1' : 'an integer'}`;
  if (type === 'int64') return Number.isSafeInteger(v) ? BigInt(v) : 'beyond 2^53: write it as a decimal string';
  return v >= (range[0] as number) && v <= (range[1] as number) ? v : `outside ${type}'s range`;
}

/**
 * The tensor `json` describes, as `type` (the JSON's `dtype` must agree when given); a string says what is
 * wrong, naming the element.
 */
export function tensorFromJson(json: JsonTensor, type: TensorDType): Tensor | string {
  if (json.dtype !== undefined && json.dtype !== type) return `dtype is ${json.dtype}, the model takes ${type}`;
  const count = elementCount(json.dims);
  if (typeof json.data === 'string') {
    if (!BASE64.test(json.data)) return 'data is neither an array of numbers nor base64';
    const bytes = new Uint8Array(Buffer.from(json.data, 'base64'));
    const need = count * BYTES_PER_ELEMENT[type];
    if (bytes.byteLength !== need) {
      return `data holds ${bytes.byteLength} bytes, dims [${json.dims.join(', ')}] of ${type} need ${need}`;
    }
    return { type, data: new ARRAY_OF[type](bytes.buffer, 0, count), dims: json.dims } as Tensor;
  }
  const values = json.data;
  if (values.length !== count)
    return `data holds ${values.length} elements, dims [${json.dims.join(', ')}] hold ${count}`;
  const data = new ARRAY_OF[type](count) as unknown as Array<number | bigint>;
  for (let i = 0; i < count; i++) {
    const raw = values[i] as number | boolean | string;
    const v = elementOf(type, raw);
    if (typeof v === 'string') return `data.${i} (${JSON.stringify(raw)}) is ${v}`;
    data[i] = v;
  }
  return { type, data, dims: json.dims } as unknown as Tensor;
}

/** A tensor as JSON numbers (int64 beyond 2^53 loses precision here; the CBOR form keeps it). */
export function tensorToJson(tensor: Tensor): { dtype: TensorDType; dims: number[]; data: number[] } {
  const n = tensor.data.length;
  const data: number[] = new Array(n);
  for (let i = 0; i < n; i++) data[i] = elementAsNumber(tensor.type, tensor.data, i);
  return { dtype: tensor.type, dims: [...tensor.dims], data };
}
