/**
 * How a challenger's answer is held against the champion's in a shadow run (DESIGN.md §5 gates): which
 * output, and how. `argmax` — for classifiers — counts a sample as agreeing when both put their largest
 * value at the same index; `tolerance` — for regression and embedding outputs — when every element is within
 * atol + rtol·|champion| (numpy.allclose, the self-test's rule). The rollout plan chooses it and the director
 * carries it to the device in the desired-state assignment next to the shadow manifest
 * (docs/adr/0004-comparing-named-outputs.md); without one, the model's first output is compared by argmax.
 */
import { z } from 'zod';
import { argmax } from '../drift/profile.js';
import { numericView } from '../drift/summary-features.js';
import { type Tensor, tensorNameSchema } from './tensor.js';

export const outputComparisonSchema = z.union([
  z.object({ output: tensorNameSchema.optional(), mode: z.literal('argmax') }),
  z.object({
    output: tensorNameSchema.optional(),
    mode: z.literal('tolerance'),
    atol: z.number().nonnegative().max(1e6),
    rtol: z.number().nonnegative().max(1),
  }),
]);

export type OutputComparison = z.infer<typeof outputComparisonSchema>;

export const DEFAULT_COMPARISON: OutputComparison = Object.freeze({ mode: 'argmax' });

/** The output a comparison reads: its own, or the model's first. */
export function comparedOutput(comparison: OutputComparison, outputs: readonly { name: string }[]): string | undefined {
  return comparison.output ?? outputs[0]?.name;
}

/**
 * Samples (slices along axis 0) of `challenger` that agree with `champion`; a string when the two tensors
 * cannot be compared (different dims). Under `tolerance` a NaN on either side never agrees.
 */
export function agreeingRows(
  comparison: OutputComparison,
  champion: Tensor,
  challenger: Tensor,
): { rows: number; agreements: number } | string {
  const { dims } = champion;
  if (dims.length !== challenger.dims.length || dims.some((d, i) => challenger.dims[i] !== d)) {
    return `challenger output has dims [${challenger.dims.join(', ')}], the champion's [${dims.join(', ')}]`;
  }
  const expected = numericView(champion);
  const actual = numericView(challenger);
  const rows = dims.length === 0 ? 1 : (dims[0] as number);
  const size = rows === 0 ? 0 : expected.length / rows;
  let agreements = 0;
  for (let r = 0; r < rows; r++) {
    const at = r * size;
    if (comparison.mode === 'argmax') {
      if (argmax(actual, at, size) === argmax(expected, at, size)) agreements++;
      continue;
    }
    let agrees = true;
    for (let i = at; i < at + size && agrees; i++) {
      const e = expected[i] as number;
      const a = actual[i] as number;
      // A NaN fails both tests, so it disagrees.
      agrees = a === e || Math.abs(a - e) <= comparison.atol + comparison.rtol * Math.abs(e);
    }
    if (agrees) agreements++;
  }
  return { rows, agreements };
}
