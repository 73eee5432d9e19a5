import { describe, expect, it } from 'vitest';
import {
  compileFeedChecker,
  decodeSelfTestSet,
  decodeTensor,
  encodeTensor,
  firstDifference,
  packModelBundle,
  type Tensor,
  type TensorSpec,
} from '../src/index.js';

const VAD_INPUTS: TensorSpec[] = [
  { name: 'input', dtype: 'float32', shape: ['batch', 'sequence'] },
  { name: 'sr', dtype: 'int64', shape: [] },
  { name: 'h', dtype: 'float32', shape: [2, 'batch', 64] },
];

const f32 = (dims: number[]): Tensor => ({
  type: 'float32',
  data: new Float32Array(dims.reduce((a, b) => a * b, 1)),
  dims,
});
const feeds = (batch = 1, hBatch = batch) => ({
  input: f32([batch, 512]),
  sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] } as Tensor,
  h: f32([2, hBatch, 64]),
});

describe('the feed checker', () => {
  const check = compileFeedChecker(VAD_INPUTS, { maxElements: 4096 });

  it('accepts feeds that match fixed and symbolic dimensions', () => {
    expect(check(feeds(1))).toBeUndefined();
    expect(check(feeds(3))).toBeUndefined();
  });

  it('names the input and the dimension of each mismatch', () => {
    const { sr: _sr, ...noSr } = feeds();
    expect(check(noSr)).toMatchObject({ code: 'INPUT_MISSING', details: { input: 'sr' } });
    expect(check({ ...feeds(), extra: f32([1]) })).toMatchObject({
      code: 'INPUT_UNEXPECTED',
      details: { input: 'extra' },
    });
    expect(check({ ...feeds(), sr: f32([]) })).toMatchObject({ code: 'INPUT_DTYPE', details: { input: 'sr' } });
    expect(check({ ...feeds(), h: f32([2, 64]) })).toMatchObject({ code: 'INPUT_RANK', details: { input: 'h' } });
    expect(check({ ...feeds(), h: f32([3, 1, 64]) })).toMatchObject({
      code: 'INPUT_DIM',
      details: { input: 'h', dim: 0 },
    });
    // batch is 1 in `input` and 2 in `h`: the symbol binds once per call.
    expect(check(feeds(1, 2))).toMatchObject({
      code: 'INPUT_DIM',
      details: { input: 'h', dim: 1, expected: 1, actual: 2 },
    });
    expect(check({ ...feeds(), input: f32([1, 8192]) })).toMatchObject({
      code: 'INPUT_TOO_LARGE',
      details: { input: 'input' },
    });
    const short = { ...feeds(), input: { type: 'float32', data: new Float32Array(3), dims: [1, 512] } as Tensor };
    expect(check(short)).toMatchObject({ code: 'INPUT_INVALID', details: { input: 'input' } });
  });

  it('refuses a typed array that does not hold the declared type', () => {
    const wrongArray = { ...feeds(), sr: { type: 'int64', data: new Float64Array(1), dims: [] } as unknown as Tensor };
    expect(check(wrongArray)).toMatchObject({ code: 'INPUT_DTYPE' });
  });
});

describe('encoded tensors and the self-test set', () => {
  it('round-trips every element type through its wire form', () => {
    const tensors: Tensor[] = [
      { type: 'float32', data: Float32Array.of(1.5, -2), dims: [2] },
      { type: 'float16', data: Uint16Array.of(0x3c00), dims: [1] },
      { type: 'int8', data: Int8Array.of(-1, 2), dims: [1, 2] },
      { type: 'uint8', data: Uint8Array.of(255), dims: [1] },
      { type: 'int32', data: Int32Array.of(-7), dims: [1] },
      { type: 'int64', data: BigInt64Array.of(2n ** 62n), dims: [] },
      { type: 'bool', data: Uint8Array.of(1, 0), dims: [2] },
    ];
    for (const t of tensors) expect(decodeTensor(encodeTensor(t))).toEqual({ ...t, dims: [...t.dims] });
  });

  it('packs the self-test set after the model bytes and reads it back from the tail', () => {
    const model = Uint8Array.of(1, 2, 3);
    const set = {
      _type: 'self-test-set' as const,
      vectors: [{ inputs: { x: encodeTensor(f32([1, 2])) }, outputs: { y: encodeTensor(f32([1])) } }],
    };
    const packed = packModelBundle(model, set);
    expect(packed.bytes.subarray(0, 3)).toEqual(model);
    expect(packed.modelBytes + packed.selfTestBytes).toBe(packed.bytes.byteLength);
    const back = decodeSelfTestSet(packed.bytes.subarray(packed.modelBytes));
    expect(decodeTensor(back.vectors[0]?.inputs.x as never).dims).toEqual([1, 2]);
  });

  it('compares within atol + rtol·|expected| and treats NaN as a difference', () => {
    const expected = { type: 'float32' as const, data: Float32Array.of(1, 100) };
    const close = { type: 'float32' as const, data: Float32Array.of(1.0005, 100.05) };
    expect(firstDifference(close, expected, { atol: 1e-3, rtol: 1e-3 }).difference).toBeUndefined();
    expect(firstDifference(close, expected, { atol: 1e-4, rtol: 0 }).difference?.index).toBe(0);
    const nan = { type: 'float32' as const, data: Float32Array.of(Number.NaN, 100) };
    expect(firstDifference(nan, expected, { atol: 1, rtol: 1 }).difference?.index).toBe(0);
  });
});
