/**
 * The trainable model family federated rounds work on: a dense multilayer perceptron (McMahan et al. 2017's
 * "2NN" is `{ layers: [784, 200, 200, 10], activation: 'relu' }`) whose parameters travel as ONE flat
 * float32 vector. The layout is fixed here so the device's trainer (tfjs), the coordinator's aggregation and
 * the ONNX export agree without shipping names: for each layer in order, the kernel `[in, out]` row-major
 * (tfjs Dense and ONNX MatMul both use `[in, out]`), then the bias `[out]`. Hidden layers use `activation`,
 * the last layer is followed by softmax.
 */
import { z } from 'zod';
import { mulberry32 } from '../random/prng.js';

export const MLP_LIMITS = Object.freeze({ maxLayers: 8, maxWidth: 4096, maxParameters: 4_000_000 });

export const mlpSpecSchema = z
  .object({
    kind: z.literal('mlp'),
    layers: z.array(z.int().min(1).max(MLP_LIMITS.maxWidth)).min(2).max(MLP_LIMITS.maxLayers),
    activation: z.enum(['relu', 'tanh']),
  })
  .refine((spec) => mlpParameterCount(spec) <= MLP_LIMITS.maxParameters, {
    message: `an MLP may have at most ${MLP_LIMITS.maxParameters} parameters`,
    path: ['layers'],
  });
export type MlpSpec = z.infer<typeof mlpSpecSchema>;

export interface MlpTensorSlice {
  /** `dense{i}/kernel` or `dense{i}/bias`, i from 0. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset and length in the flat parameter vector, in elements. */
  readonly offset: number;
  readonly length: number;
}

export function mlpLayout(spec: { readonly layers: readonly number[] }): MlpTensorSlice[] {
  const slices: MlpTensorSlice[] = [];
  let offset = 0;
  for (let i = 0; i + 1 < spec.layers.length; i++) {
    const fanIn = spec.layers[i] as number;
    const fanOut = spec.layers[i + 1] as number;
    slices.push({ name: `dense${i}/kernel`, shape: [fanIn, fanOut], offset, length: fanIn * fanOut });
    offset += fanIn * fanOut;
    slices.push({ name: `dense${i}/bias`, shape: [fanOut], offset, length: fanOut });
    offset += fanOut;
  }
  return slices;
}

export function mlpParameterCount(spec: { readonly layers: readonly number[] }): number {
  let count = 0;
  for (let i = 0; i + 1 < spec.layers.length; i++) {
    count += (spec.layers[i] as number) * (spec.layers[i + 1] as number) + (spec.layers[i + 1] as number);
  }
  return count;
}

/**
 * Deterministic first weights for a job: Glorot-uniform kernels (Glorot & Bengio 2010, limit
 * sqrt(6 / (fanIn + fanOut)), the Keras Dense default) and zero biases, from the shared mulberry32 stream
 * seeded by `seed`, so the coordinator and a reproduction script start from the same point.
 */
export function initialMlpWeights(spec: { readonly layers: readonly number[] }, seed: number): Float32Array {
  const weights = new Float32Array(mlpParameterCount(spec));
  const next = mulberry32(seed);

  for (const slice of mlpLayout(spec)) {
    if (slice.shape.length !== 2) continue;
    const [fanIn, fanOut] = slice.shape as [number, number];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < slice.length; i++) weights[slice.offset + i] = (next() * 2 - 1) * limit;
  }
  return weights;
}
