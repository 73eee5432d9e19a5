/**
 * The self-test set of a model version (DESIGN.md §3): sample inputs as named tensors with every output the
 * registry's onnxruntime computed for them. It travels at the end of the bundle, after the model file
 * (manifest `modelBytes` says where the model ends), so it is covered by the bundle's signed digest and
 * fetched, resumed and verified like the model itself, while the desired-state documents that carry
 * manifests stay small. For a stateful model the vectors are one sequence on one stream, starting from the
 * initial state; their inputs omit the state inputs, which the device feeds back itself.
 */
import { z } from 'zod';
import { elementAsNumber } from './dtypes.js';
import { encodedTensorMapSchema, type Tensor, tensorNameSchema } from './tensor.js';

export const SELF_TEST_LIMITS = Object.freeze({ maxVectors: 64, maxBytes: 16 * 1024 * 1024 });

export const selfTestSetSchema = z.object({
  _type: z.literal('self-test-set'),
  vectors: z
    .array(z.object({ inputs: encodedTensorMapSchema, outputs: encodedTensorMapSchema }))
    .min(1)
    .max(SELF_TEST_LIMITS.maxVectors),
});

export type SelfTestSet = z.infer<typeof selfTestSetSchema>;

/** |actual − expected| ≤ atol + rtol·|expected| per element (numpy.allclose); integers and bools use 0 / 0. */
export const toleranceSchema = z.object({
  atol: z.number().nonnegative().max(1e6),
  rtol: z.number().nonnegative().max(1).default(0),
});

export type Tolerance = z.infer<typeof toleranceSchema>;

/** What the manifest says of the self-test set: how many vectors, how many bytes, and the tolerance per output. */
export const selfTestSchema = z.object({
  vectors: z.int().min(1).max(SELF_TEST_LIMITS.maxVectors),
  bytes: z.int().min(1).max(SELF_TEST_LIMITS.maxBytes),
  tolerance: z.record(tensorNameSchema, toleranceSchema),
});

export type SelfTest = z.infer<typeof selfTestSchema>;

export interface ElementDifference {
  readonly index: number;
  readonly error: number;
  readonly allowed: number;
}

/**
 * The first element of `actual` outside the tolerance around `expected`, or undefined; also the largest
 * error seen. NaN on either side is a difference (written as !(error <= allowed)). Lengths must be equal
 * (the caller compares dims first).
 */
export function firstDifference(
  actual: Pick<Tensor, 'type' | 'data'>,
  expected: Pick<Tensor, 'type' | 'data'>,
  tolerance: Tolerance,
): { difference: ElementDifference | undefined; maxError: number } {
  let maxError = 0;
  const n = expected.data.length;
  for (let i = 0; i < n; i++) {
    const a = elementAsNumber(actual.type, actual.data, i);
    const e = elementAsNumber(expected.type, expected.data, i);
    if (a === e) continue;
    const error = Math.abs(a - e);
    const allowed = tolerance.atol + tolerance.rtol * Math.abs(e);
    if (!(error <= allowed)) return { difference: { index: i, error, allowed }, maxError: Math.max(maxError, error) };
    if (error > maxError) maxError = error;
  }
  return { difference: undefined, maxError };
}
