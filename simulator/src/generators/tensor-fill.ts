/**
 * Builds a tensor of any served element type from generated numbers: integers are rounded and clamped to
 * their type's range, bool is value ≥ 0.5, float16 is written as its nearest binary16 bits and int64 as bigint.
 */
import { ARRAY_OF, elementCount, float16Bits, type Tensor, type TensorDType } from '@edgefleet/protocol';

const RANGE: Partial<Record<TensorDType, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export function fillTensor(dtype: TensorDType, dims: readonly number[], valueAt: (i: number) => number): Tensor {
  const count = elementCount(dims);
  const data = new ARRAY_OF[dtype](count);
  const range = RANGE[dtype];
  for (let i = 0; i < count; i++) {
    const v = valueAt(i);
    if (dtype === 'float32') (data as Float32Array)[i] = v;
    else if (dtype === 'float16') (data as Uint16Array)[i] = float16Bits(v);
    else if (dtype === 'bool') (data as Uint8Array)[i] = v >= 0.5 ? 1 : 0;
    else {
      const [low, high] = range as readonly [number, number];
      const n = Math.min(high, Math.max(low, Math.round(v)));
      if (dtype === 'int64') (data as BigInt64Array)[i] = BigInt(n);
      else (data as Int32Array)[i] = n;
    }
  }
  return { type: dtype, data, dims: [...dims] } as Tensor;
}

/** Constant inputs (`extra`): one tensor each, made once and shared by every call. */
export function constantInputs(
  extra: Readonly<Record<string, { dtype: TensorDType; dims: number[]; value: number }>> | undefined,
): Record<string, Tensor> {
  return Object.fromEntries(
    Object.entries(extra ?? {}).map(([name, t]) => [name, fillTensor(t.dtype, t.dims, () => t.value)]),
  );
}
