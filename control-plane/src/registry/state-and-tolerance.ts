/**
 * The two parts of a registration the uploader declares about the model's contract, checked against the
 * contract the engine read: recurrent state pairs (metadata `state`: which output feeds which input on the
 * stream's next call) and the self-test tolerance per output. A pair must join an input and an output of
 * the same element type and rank whose fixed sizes agree, each used once; a tolerance must name an output.
 * Both are the caller's claims, so a wrong one is BODY_INVALID. Outputs without a declared tolerance get
 * the upload's `atol` when they are floating point, and exact equality when they are integers or bools.
 */
import type { StatePair, TensorDType, TensorSpec, Tolerance } from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';

const FLOAT_TYPES: ReadonlySet<TensorDType> = new Set(['float32', 'float16']);

function invalid(field: string, message: string): ControlPlaneError {
  return new ControlPlaneError('BODY_INVALID', `${field}: ${message}`, { details: { field } });
}

export function checkStatePairs(
  contract: { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] },
  pairs: readonly StatePair[],
): void {
  const usedInputs = new Set<string>();
  const usedOutputs = new Set<string>();
  pairs.forEach((pair, i) => {
    const field = `state.${i}`;
    const input = contract.inputs.find((s) => s.name === pair.input);
    const output = contract.outputs.find((s) => s.name === pair.output);
    if (input === undefined) throw invalid(field, `the model has no input ${pair.input}`);
    if (output === undefined) throw invalid(field, `the model has no output ${pair.output}`);
    if (usedInputs.has(input.name) || usedOutputs.has(output.name)) {
      throw invalid(field, `input ${input.name} or output ${output.name} is already in a state pair`);
    }
    usedInputs.add(input.name);
    usedOutputs.add(output.name);
    if (input.dtype !== output.dtype || input.shape.length !== output.shape.length) {
      throw invalid(
        field,
        `output ${output.name} (${output.dtype}, rank ${output.shape.length}) cannot feed input ${input.name} (${input.dtype}, rank ${input.shape.length})`,
      );
    }
    const clash = input.shape.findIndex((d, k) => {
      const o = output.shape[k];
      return typeof d === 'number' && d > 0 && typeof o === 'number' && o > 0 && d !== o;
    });
    if (clash !== -1) {
      throw invalid(
        field,
        `dimension ${clash} of output ${output.name} is ${output.shape[clash]}, of input ${input.name} ${input.shape[clash]}`,
      );
    }
  });
}

export function toleranceFor(
  outputs: readonly TensorSpec[],
  declared: Readonly<Record<string, Tolerance>> | undefined,
  atol: number,
): Record<string, Tolerance> {
  for (const name of Object.keys(declared ?? {})) {
    if (!outputs.some((o) => o.name === name)) throw invalid(`tolerance.${name}`, 'the model has no such output');
  }
  const tolerance: Record<string, Tolerance> = {};
  for (const output of outputs) {
    tolerance[output.name] =
      declared?.[output.name] ?? (FLOAT_TYPES.has(output.dtype) ? { atol, rtol: 0 } : { atol: 0, rtol: 0 });
  }
  return tolerance;
}
