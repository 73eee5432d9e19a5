import { describe, expect, it } from 'vitest';
import { float16Bits, float16ToNumber, jsonTensorSchema, tensorFromJson, tensorToJson } from '../src/index.js';

const parse = (json: unknown, type: Parameters<typeof tensorFromJson>[1]) =>
  tensorFromJson(jsonTensorSchema.parse(json), type);

describe('JSON tensors', () => {
  it('holds integers to their type: a value out of range is refused, never wrapped', () => {
    expect(parse({ dims: [2], data: [1, 300] }, 'int8')).toBe("data.1 (300) is outside int8's range");
    expect(parse({ dims: [1], data: [-1] }, 'uint8')).toBe("data.0 (-1) is outside uint8's range");
    expect(parse({ dims: [1], data: [1.5] }, 'int32')).toBe('data.0 (1.5) is not an integer');
    expect(parse({ dims: [2], data: [true, 0] }, 'bool')).toMatchObject({ data: Uint8Array.from([1, 0]) });
    expect(parse({ dims: [1], data: [2] }, 'bool')).toBe("data.0 (2) is outside bool's range");
    const int8 = parse({ dims: [3], data: [-128, 0, 127] }, 'int8');
    expect(int8).toMatchObject({ type: 'int8', data: Int8Array.from([-128, 0, 127]), dims: [3] });
  });

  it('takes int64 beyond 2^53 as decimal strings, and only int64', () => {
    const big = parse({ dims: [2], data: ['9223372036854775807', -3] }, 'int64');
    expect(big).toMatchObject({ data: BigInt64Array.from([9223372036854775807n, -3n]) });
    expect(parse({ dims: [1], data: [2 ** 60] }, 'int64')).toBe(
      `data.0 (${2 ** 60}) is beyond 2^53: write it as a decimal string`,
    );
    expect(parse({ dims: [1], data: ['9223372036854775808'] }, 'int64')).toBe(
      'data.0 ("9223372036854775808") is out of int64\'s range',
    );
    expect(parse({ dims: [1], data: ['7'] }, 'int32')).toBe(
      'data.0 ("7") is a decimal string (only int64 takes those)',
    );
  });

  it('rounds float16 to the nearest binary16, ties to even, like numpy', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(65520)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next: even mantissa
    expect(float16Bits(-0)).toBe(0x8000);
    const t = parse({ dims: [2], data: [0.1, -2.5] }, 'float16');
    expect(typeof t === 'string' ? t : Array.from(t.data as Uint16Array, float16ToNumber)).toEqual([
      0.0999755859375, -2.5,
    ]);
  });

  it('reads base64 of the little-endian bytes and checks their length against dims and dtype', () => {
    const bytes = Buffer.from(Float32Array.from([1, 2]).buffer).toString('base64');
    expect(parse({ dims: [2], data: bytes }, 'float32')).toMatchObject({ data: Float32Array.from([1, 2]) });
    expect(parse({ dims: [3], data: bytes }, 'float32')).toBe('data holds 8 bytes, dims [3] of float32 need 12');
    expect(parse({ dims: [2], data: 'not base64!' }, 'float32')).toBe('data is neither an array of numbers nor base64');
  });

  it('refuses a count that does not match dims, and a dtype the caller does not want', () => {
    expect(parse({ dims: [2, 2], data: [1, 2, 3] }, 'float32')).toBe('data holds 3 elements, dims [2, 2] hold 4');
    expect(parse({ dtype: 'int8', dims: [1], data: [1] }, 'float32')).toBe('dtype is int8, the model takes float32');
  });

  it('writes tensors back as numbers', () => {
    const t = parse({ dims: [1, 2], data: [3, 4] }, 'int32');
    expect(typeof t === 'string' ? t : tensorToJson(t)).toEqual({ dtype: 'int32', dims: [1, 2], data: [3, 4] });
  });
});
