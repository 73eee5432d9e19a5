/**
 * The one definition of a well-formed federated update, shared by the client-side masking here and the
 * coordinator's `validateUpdate`: a delta of exactly the model's parameter count with only finite values
 * (one NaN or Inf would poison every mean it enters) and a sample count that is a positive safe integer.
 * It reports the first problem found instead of throwing so each package raises its own error class.
 */

export interface UpdateProblem {
  readonly reason: 'wrong-length' | 'non-finite' | 'bad-sample-count';
  readonly message: string;
  /** First offending coordinate for `non-finite`. */
  readonly index?: number;
}

export function updateProblem(delta: Float32Array, sampleCount: number, parameterCount: number): UpdateProblem | null {
  if (!(delta instanceof Float32Array) || delta.length !== parameterCount) {
    const length = delta instanceof Float32Array ? delta.length : 'not a Float32Array';
    return { reason: 'wrong-length', message: `delta has length ${length}, the model has ${parameterCount}` };
  }
  if (!Number.isSafeInteger(sampleCount) || sampleCount < 1) {
    return { reason: 'bad-sample-count', message: `sampleCount must be a positive integer, got ${sampleCount}` };
  }
  for (let i = 0; i < delta.length; i++) {
    // x - x is 0 for every finite x and NaN for NaN and ±Inf: one comparison per coordinate.
    const v = delta[i] as number;
    if (v - v !== 0) return { reason: 'non-finite', message: `delta[${i}] is ${v}`, index: i };
  }
  return null;
}
