/**
 * Fits an upload's sample inputs (sample-source.ts) to the model's contract: each sample becomes the named
 * tensors of one call, held to the contract by protocol's compiled feed checker, so a wrong shape is
 * refused before onnxruntime sees it, with SAMPLE_INPUTS_MISMATCH naming the sample, the input and the
 * dimension. State inputs of a stateful model are left out: the run feeds them (sample-runs.ts). Tabular
 * rows and `.npy` arrays need a model with one (non-state) input: a row becomes a float32 [1, F] tensor;
 * a `.npy` array of the input's rank + 1 is split along its first axis, one of the input's rank is split
 * into slices of size 1 along it (the batch axis). The evaluation set of an int8 variant is fitted the same
 * way; its errors say `evaluation sample <i>`.
 */
import {
  compileFeedChecker,
  TENSOR_LIMITS,
  type Tensor,
  type TensorMap,
  type TensorMismatch,
  type TensorSpec,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';
import { tensorFromJson } from './json-tensors.js';
import { SAMPLE_LIMITS, type SampleSource } from './sample-source.js';

/** Which set a sample belongs to: the self-test samples, or the evaluation set of an int8 variant. */
export type SampleSet = 'samples' | 'evaluation';

function sampleName(sample: number, set: SampleSet): string {
  return set === 'samples' ? `sample ${sample}` : `evaluation sample ${sample}`;
}

export interface SampleContract {
  /** The inputs a sample supplies: every model input except the state inputs. */
  readonly inputs: readonly TensorSpec[];
  /** State input → the output it is fed from. */
  readonly state: ReadonlyMap<string, string>;
}

export function sampleMismatch(
  sample: number,
  mismatch: TensorMismatch,
  set: SampleSet = 'samples',
): ControlPlaneError {
  return new ControlPlaneError('SAMPLE_INPUTS_MISMATCH', `${sampleName(sample, set)}: ${mismatch.message}`, {
    details: { sample, ...setDetail(set), reason: mismatch.code, ...mismatch.details },
  });
}

function setDetail(set: SampleSet): { set?: SampleSet } {
  return set === 'samples' ? {} : { set };
}

function mismatch(
  at: { sample?: number; set: SampleSet },
  message: string,
  details: Record<string, unknown> = {},
): ControlPlaneError {
  const where = at.sample === undefined ? '' : `${sampleName(at.sample, at.set)}: `;
  return new ControlPlaneError('SAMPLE_INPUTS_MISMATCH', `${where}${message}`, {
    details: { ...(at.sample === undefined ? {} : { sample: at.sample }), ...setDetail(at.set), ...details },
  });
}

interface Fit {
  readonly contract: SampleContract;
  readonly set: SampleSet;
  readonly maxSamples: number;
}

/** The one input rows and `.npy` arrays feed. */
function singleInput(fit: Fit, form: string): TensorSpec {
  const { inputs } = fit.contract;
  const [only, ...more] = inputs;
  if (only === undefined || more.length > 0) {
    throw mismatch(
      { set: fit.set },
      `${form} need a model with one input; this one takes ${inputs.map((s) => s.name).join(', ')}: send named tensors (metadata \`samples\` or a CBOR file)`,
      { expected: inputs.map((s) => s.name) },
    );
  }
  return only;
}

function fromRows(rows: readonly (readonly number[])[], fit: Fit): TensorMap[] {
  const input = singleInput(fit, 'sampleInputs rows');
  return rows.map((row) => ({
    [input.name]: { type: 'float32', data: Float32Array.from(row), dims: [1, row.length] },
  }));
}

function fromNpy(tensor: Tensor, fit: Fit): TensorMap[] {
  const input = singleInput(fit, '.npy samples');
  const rank = input.shape.length;
  const [count = 0, ...rest] = tensor.dims;
  if (tensor.dims.length !== rank + 1 && !(tensor.dims.length === rank && rank > 0)) {
    throw mismatch(
      { set: fit.set },
      `the .npy array has rank ${tensor.dims.length}; input ${input.name} has rank ${rank}, so the array needs rank ${rank + 1} (samples first) or ${rank} (one sample per slice of the first axis)`,
      { input: input.name, expected: rank + 1, actual: tensor.dims.length },
    );
  }
  if (count < 1 || count > fit.maxSamples) {
    throw mismatch({ set: fit.set }, `the .npy array holds ${count} samples; give 1 to ${fit.maxSamples}`, {
      input: input.name,
    });
  }
  const dims = tensor.dims.length === rank + 1 ? rest : [1, ...rest];
  const per = tensor.data.length / count;
  return Array.from({ length: count }, (_, i) => ({
    [input.name]: { type: tensor.type, data: tensor.data.slice(i * per, (i + 1) * per), dims } as Tensor,
  }));
}

function fromJson(source: Extract<SampleSource, { kind: 'json' }>, fit: Fit): TensorMap[] {
  const specs = new Map(fit.contract.inputs.map((s) => [s.name, s]));
  const field = fit.set === 'samples' ? 'samples' : 'evaluationSamples';
  return source.samples.map((sample, i) => {
    const feeds: Record<string, Tensor> = {};
    for (const [name, json] of Object.entries(sample)) {
      const type = json.dtype ?? specs.get(name)?.dtype;
      if (type === undefined) throw unknownInput(i, name, fit);
      feeds[name] = tensorFromJson(json, type, `${field}.${i}.${name}`);
    }
    return feeds;
  });
}

function unknownInput(sample: number, name: string, fit: Fit): ControlPlaneError {
  const at = { sample, set: fit.set };
  const output = fit.contract.state.get(name);
  if (output !== undefined) {
    return mismatch(at, `input ${name} is recurrent state (fed from output ${output}); samples leave it out`, {
      input: name,
    });
  }
  return mismatch(at, `the model has no input ${name}`, {
    input: name,
    expected: fit.contract.inputs.map((s) => s.name),
  });
}

/**
 * One call's feeds per sample, each checked against the contract. `set` names the set in errors;
 * `maxSamples` bounds a `.npy` array (the other forms are bounded by their schemas).
 */
export function sampleFeeds(
  source: SampleSource,
  contract: SampleContract,
  options: { set?: SampleSet; maxSamples?: number } = {},
): readonly TensorMap[] {
  const set = options.set ?? 'samples';
  const fit: Fit = { contract, set, maxSamples: options.maxSamples ?? SAMPLE_LIMITS.maxSamples };
  const samples =
    source.kind === 'rows'
      ? fromRows(source.rows, fit)
      : source.kind === 'npy'
        ? fromNpy(source.tensor, fit)
        : source.kind === 'json'
          ? fromJson(source, fit)
          : source.samples;
  const check = compileFeedChecker(contract.inputs, { maxElements: TENSOR_LIMITS.maxElements });
  samples.forEach((feeds, i) => {
    for (const name of Object.keys(feeds)) if (contract.state.has(name)) throw unknownInput(i, name, fit);
    const found = check(feeds);
    if (found !== undefined) throw sampleMismatch(i, found, set);
  });
  return samples;
}
