/**
 * Runs a manifest's self-test vectors (DESIGN.md §3, §4 Install) against a freshly loaded model before the
 * agent switches to it. Every output element must be within `atol` of the expected value; a wrong output
 * length, a NaN or a run that throws fails the test. The first failing vector is reported.
 */
import type { SelfTest } from '@edgefleet/protocol';
import type { LoadedModel } from './runtime.js';

export type SelfTestResult =
  | { readonly ok: true; readonly maxError: number }
  | { readonly ok: false; readonly maxError: number; readonly vectorIndex: number; readonly reason: string };

export async function runSelfTest(model: LoadedModel, selfTest: SelfTest): Promise<SelfTestResult> {
  let maxError = 0;
  for (const [vectorIndex, vector] of selfTest.vectors.entries()) {
    let output: Float32Array;
    try {
      output = (await model.run({ data: Float32Array.from(vector.input), shape: vector.shape })).data;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, maxError: Number.POSITIVE_INFINITY, vectorIndex, reason: `run failed: ${message}` };
    }
    if (output.length !== vector.expected.length) {
      return {
        ok: false,
        maxError: Number.POSITIVE_INFINITY,
        vectorIndex,
        reason: `output has ${output.length} elements, expected ${vector.expected.length}`,
      };
    }
    for (let i = 0; i < output.length; i++) {
      const error = Math.abs((output[i] as number) - (vector.expected[i] as number));
      // Written as !(error <= atol) so NaN (from either side) fails instead of slipping through.
      if (!(error <= selfTest.atol)) {
        return {
          ok: false,
          maxError: Number.isNaN(error) ? Number.POSITIVE_INFINITY : Math.max(maxError, error),
          vectorIndex,
          reason: Number.isNaN(error)
            ? `element ${i} is NaN`
            : `element ${i} differs by ${error}, more than atol ${selfTest.atol}`,
        };
      }
      if (error > maxError) maxError = error;
    }
  }
  return { ok: true, maxError };
}
