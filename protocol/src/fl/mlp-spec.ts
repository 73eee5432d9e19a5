/**
 * The trainable model family federated rounds work on: a dense multilayer perceptron (McMahan et al. 2017's
 * "2NN" is `{ layers: [784, 200, 200, 10], activation: 'relu' }`) whose parameters travel as ONE flat
 * float32 vector. The layout is fixed here so the device's trainer (tfjs), the coordinator's aggregation and
 * the ONNX export agree without shipping names: for each layer in order, the kernel `[in, out]` row-major
 * (tfjs Dense and ONNX MatMul both use `[in, out]`), then the bias `[out]`. Hidden layers use `activation`,
 * the last layer is followed by softmax.
 */
import { z } from 'zod';

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
