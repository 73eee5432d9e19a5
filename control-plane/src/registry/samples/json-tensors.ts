/**
 * Named tensors in upload JSON (metadata `samples`): `{ dims, data, dtype? }` with `data` either the
 * elements as numbers (row-major) or a base64 string of their little-endian bytes, the wire form's bytes
 * (protocol tensors/tensor.ts) for inputs too large to write out. `dtype` defaults to the element type of
 * the model input of that name. Numbers are held to their type: integers in range for integer types, 0/1
 * (or true/false) for bool, and float16 is rounded to the nearest binary16 the way numpy does.
 */
import {
  ARRAY_OF,
  BYTES_PER_ELEMENT,
  dimsSchema,
  elementCount,
  TENSOR_DTYPES,
  type Tensor,
  type TensorDType,
  tensorNameSchema,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';

/** Elements one JSON tensor may spell out as numbers (larger inputs travel as base64 or a file part). */
const MAX_JSON_ELEMENTS = 1 << 22;

export const jsonTensorSchema = z.strictObject({
  dtype: z.enum(TENSOR_DTYPES).optional(),
  dims: dimsSchema,
  data: z.union([
    z.array(z.union([z.number(), z.boolean()])).max(MAX_JSON_ELEMENTS),
    z.string().max(4 * Math.ceil((16 * 1024 * 1024) / 3)),
  ]),
});

export type JsonTensor = z.infer<typeof jsonTensorSchema>;

/** One sample: a tensor per input name. */
export const jsonSampleSchema = z.record(tensorNameSchema, jsonTensorSchema);

export type JsonSample = z.infer<typeof jsonSampleSchema>;

const INTEGER_RANGE: Partial<Record<TensorDType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
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

/** The tensor `json` describes, as `type`; errors name `where` (`samples.0.x`). */
export function tensorFromJson(json: JsonTensor, type: TensorDType, where: string): Tensor {
  const count = elementCount(json.dims);
  const invalid = (message: string) =>
    new ControlPlaneError('BODY_INVALID', `${where}: ${message}`, { details: { field: where } });
  if (typeof json.data === 'string') {
    if (!BASE64.test(json.data)) throw invalid('data is neither an array of numbers nor base64');
    const bytes = new Uint8Array(Buffer.from(json.data, 'base64'));
    if (bytes.byteLength !== count * BYTES_PER_ELEMENT[type]) {
      throw invalid(
        `data holds ${bytes.byteLength} bytes, dims [${json.dims.join(', ')}] of ${type} need ${count * BYTES_PER_ELEMENT[type]}`,
      );
    }
    return { type, data: new ARRAY_OF[type](bytes.buffer, 0, count), dims: json.dims } as Tensor;
  }
  const values = json.data;
  if (values.length !== count) {
    throw invalid(`data holds ${values.length} elements, dims [${json.dims.join(', ')}] hold ${count}`);
  }
  const data = new ARRAY_OF[type](count);
  const range = INTEGER_RANGE[type];
  for (let i = 0; i < count; i++) {
    const raw = values[i] as number | boolean;
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : raw;
    if (range !== undefined && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) {
      throw invalid(`data.${i} is ${raw}, not ${type === 'bool' ? '0/1' : `an integer in ${type}'s range`}`);
    }
    if (type === 'int64') (data as BigInt64Array)[i] = BigInt(v);
    else if (type === 'float16') (data as Uint16Array)[i] = float16Bits(v);
    else (data as Float32Array)[i] = v;
  }
  return { type, data, dims: json.dims } as Tensor;
}
