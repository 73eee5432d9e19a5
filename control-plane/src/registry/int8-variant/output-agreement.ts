/**
 * How far a candidate model's answers are from a reference model's on the same calls, for one output: the
 * numbers an int8 variant is accepted or refused on. An output whose last axis holds two or more floats is
 * read as class scores and compared by predicted class per row (argmax, first maximum wins — protocol's
 * `argmax`, the one the agent's shadow runs use); any other output element by element against
 * `atol + rtol·|reference|`. Absolute errors are taken over every element with both sides finite; a
 * non-finite value on one side only counts as a disagreement under `tolerance` (NaN is never within it).
 * With labels, the accuracy of both models on the labelled rows. Pure functions.
 */
import { argmax, elementAsNumber, type Tensor, type Tolerance } from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';

/** One call's value of the compared output in both models. */
export interface OutputPair {
  readonly reference: Tensor;
  readonly candidate: Tensor;
}

export interface Agreement {
  readonly metric: 'argmax' | 'tolerance';
  /** Share of `compared` (rows for argmax, elements for tolerance) on which both models agree. */
  readonly agreement: number;
  readonly compared: number;
  readonly maxAbsError: number;
  readonly meanAbsError: number;
}

export interface Accuracy {
  readonly labelled: number;
  readonly accuracy: number;
  readonly referenceAccuracy: number;
}

const FLOAT_TYPES = new Set(['float32', 'float16']);

/** The classes on the last axis when `tensor` holds class scores (float, last axis ≥ 2), else undefined. */
export function classCount(tensor: Tensor): number | undefined {
  const last = tensor.dims.at(-1);
  return FLOAT_TYPES.has(tensor.type) && last !== undefined && last >= 2 ? last : undefined;
}

/** The elements as numbers in an array `argmax` can order (float16 bits and int64 are converted). */
function numbers(tensor: Tensor): ArrayLike<number> {
  if (tensor.data instanceof Float32Array) return tensor.data;
  return Float64Array.from({ length: tensor.data.length }, (_, i) => elementAsNumber(tensor.type, tensor.data, i));
}

function sameDims(pair: OutputPair, call: number, output: string): void {
  const { reference, candidate } = pair;
  if (reference.dims.length === candidate.dims.length && reference.dims.every((d, k) => d === candidate.dims[k])) {
    return;
  }
  throw new ControlPlaneError(
    'QUANTIZATION_REJECTED',
    `output ${output} of call ${call} has dims [${candidate.dims.join(', ')}] in the variant, [${reference.dims.join(', ')}] in the reference`,
    { details: { output, call } },
  );
}

export function measureAgreement(options: {
  output: string;
  pairs: readonly OutputPair[];
  tolerance: Tolerance;
}): Agreement {
  const { pairs, tolerance } = options;
  const byClass = pairs.length > 0 && pairs.every((p) => classCount(p.reference) !== undefined);
  let agreed = 0;
  let compared = 0;
  let errorSum = 0;
  let finite = 0;
  let maxAbsError = 0;
  for (const [call, pair] of pairs.entries()) {
    sameDims(pair, call, options.output);
    const a = numbers(pair.reference);
    const b = numbers(pair.candidate);
    for (let i = 0; i < a.length; i++) {
      const e = a[i] as number;
      const x = b[i] as number;
      const error = Math.abs(x - e);
      if (Number.isFinite(error)) {
        errorSum += error;
        finite++;
        if (error > maxAbsError) maxAbsError = error;
      }
      if (!byClass) {
        compared++;
        if (x === e || error <= tolerance.atol + tolerance.rtol * Math.abs(e)) agreed++;
      }
    }
    if (byClass) {
      const classes = classCount(pair.reference) as number;
      for (let offset = 0; offset < a.length; offset += classes) {
        compared++;
        if (argmax(a, offset, classes) === argmax(b, offset, classes)) agreed++;
      }
    }
  }
  return {
    metric: byClass ? 'argmax' : 'tolerance',
    agreement: compared === 0 ? 0 : agreed / compared,
    compared,
    maxAbsError,
    meanAbsError: finite === 0 ? 0 : errorSum / finite,
  };
}

function invalidLabels(message: string, details: Record<string, unknown> = {}): ControlPlaneError {
  return new ControlPlaneError('BODY_INVALID', `evaluationLabels: ${message}`, {
    details: { field: 'evaluationLabels', ...details },
  });
}

/**
 * Checks that `labels` give one class per row of `outputs` (the reference's compared output over the
 * evaluation samples, in order): BODY_INVALID otherwise, since the labels are the uploader's claim.
 */
export function checkLabels(options: { output: string; outputs: readonly Tensor[]; labels: readonly number[] }): void {
  const { output, outputs, labels } = options;
  let rows = 0;
  for (const [call, tensor] of outputs.entries()) {
    const classes = classCount(tensor);
    if (classes === undefined) {
      throw invalidLabels(
        `labels need class scores (two or more floats on the last axis); output ${output} is ${tensor.type} [${tensor.dims.join(', ')}] on evaluation sample ${call}`,
        { output },
      );
    }
    for (let offset = 0; offset < tensor.data.length; offset += classes) {
      const label = labels[rows];
      if (label !== undefined && label >= classes) {
        throw invalidLabels(`label ${rows} is ${label}; output ${output} has ${classes} classes`, { index: rows });
      }
      rows++;
    }
  }
  if (labels.length !== rows) {
    throw invalidLabels(
      `${labels.length} labels for ${rows} rows of output ${output} over the evaluation samples; give one per row`,
      { labels: labels.length, rows },
    );
  }
}

/** Accuracy of both models against `labels` (one per row, checked by checkLabels). */
export function measureAccuracy(pairs: readonly OutputPair[], labels: readonly number[]): Accuracy {
  let row = 0;
  let right = 0;
  let referenceRight = 0;
  for (const pair of pairs) {
    const classes = classCount(pair.reference) as number;
    const a = numbers(pair.reference);
    const b = numbers(pair.candidate);
    for (let offset = 0; offset < a.length; offset += classes, row++) {
      const label = labels[row];
      if (argmax(b, offset, classes) === label) right++;
      if (argmax(a, offset, classes) === label) referenceRight++;
    }
  }
  return { labelled: row, accuracy: right / row, referenceAccuracy: referenceRight / row };
}
