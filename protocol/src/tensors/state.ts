/**
 * Recurrent state in the model contract (DESIGN.md §4 Inference): which output feeds which input on the
 * next call of the same stream, and the state a new stream starts from. A state input's symbolic dimensions
 * take the sizes the same symbols have in the call's other inputs (silero VAD's `h` is [2, batch, 64]).
 */
import { z } from 'zod';
import type { Dim, TensorSpec } from './contract.js';
import { type Tensor, tensorNameSchema, zerosTensor } from './tensor.js';

export const statePairSchema = z.object({
  /** The input that receives the state. */
  input: tensorNameSchema,
  /** The output whose value becomes that input on the stream's next call. */
  output: tensorNameSchema,
  /** What a new (or reset) stream starts from. */
  init: z.literal('zeros').default('zeros'),
});

export type StatePair = z.infer<typeof statePairSchema>;

/** Binds symbolic dimensions from the tensors a call supplies. */
export function bindSymbols(inputs: readonly TensorSpec[], feeds: Readonly<Record<string, Tensor | undefined>>) {
  const bound = new Map<string, number>();
  for (const spec of inputs) {
    const tensor = feeds[spec.name];
    if (tensor === undefined) continue;
    spec.shape.forEach((d, i) => {
      if (typeof d === 'string' && !bound.has(d) && tensor.dims[i] !== undefined)
        bound.set(d, tensor.dims[i] as number);
    });
  }
  return bound;
}

/** Concrete dims for a declared shape: symbols from `bound`, unbound or dynamic dimensions become 1. */
export function resolveDims(shape: readonly Dim[], bound: ReadonlyMap<string, number>): number[] {
  return shape.map((d) => (typeof d === 'number' ? (d > 0 ? d : 1) : (bound.get(d) ?? 1)));
}

/** The initial state tensor of `pair` for a call whose other inputs bind `bound`. */
export function initialState(spec: TensorSpec, bound: ReadonlyMap<string, number>): Tensor {
  return zerosTensor(spec.dtype, resolveDims(spec.shape, bound));
}
