/**
 * Fits an upload's sample inputs (sample-source.ts) to the model's contract: each sample becomes the named
 * tensors of one call, held to the contract by protocol's compiled feed checker, so a wrong shape is
 * refused before onnxruntime sees it, with SAMPLE_INPUTS_MISMATCH naming the sample, the input and the
 * dimension. State inputs of a stateful model are left out: the run feeds them (sample-runs.ts). Tabular
 * rows and `.npy` arrays need a model with one (non-state) input: a row becomes a float32 [1, F] tensor;
 * a `.npy` array of the input's rank + 1 is split along its first axis, one of the input's rank is split
 * into slices of size 1 along it (the batch axis).
 */
import {
  compileFeedChecker,
  SELF_TEST_LIMITS,
  TENSOR_LIMITS,
  type Tensor,
  type TensorMap,
  type TensorMismatch,
  type TensorSpec,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';
import { tensorFromJson } from './json-tensors.js';
import type { SampleSource } from './sample-source.js';

export interface SampleContract {
  /** The inputs a sample supplies: every model input except the state inputs. */
  readonly inputs: readonly TensorSpec[];
  /** State input → the output it is fed from. */
  readonly state: ReadonlyMap<string, string>;
}

export function sampleMismatch(sample: number, mismatch: TensorMismatch): ControlPlaneError {
  return new ControlPlaneError('SAMPLE_INPUTS_MISMATCH', `sample ${sample}: ${mismatch.message}`, {
    details: { sample, reason: mismatch.code, ...mismatch.details },
  });
}

function mismatch(sample: number | undefined, message: string, details: Record<string, unknown> = {}) {
  const where = sample === undefined ? '' : `sample ${sample}: `;
  return new ControlPlaneError('SAMPLE_INPUTS_MISMATCH', `${where}${message}`, {
    details: { ...(sample === undefined ? {} : { sample }), ...details },
  });
}

/** The one input rows and `.npy` arrays feed. */
function singleInput(contract: SampleContract, form: string): TensorSpec {
  const [only, ...more] = contract.inputs;
  if (only === undefined || more.length > 0) {
    throw mismatch(
      undefined,
      `${form} need a model with one input; this one takes ${contract.inputs.map((s) => s.name).join(', ')}: send named tensors (metadata \`samples\` or a CBOR file)`,
      { expected: contract.inputs.map((s) => s.name) },
    );
  }
  return only;
}

function fromRows(rows: readonly (readonly number[])[], contract: SampleContract): TensorMap[] {
  const input = singleInput(contract, 'sampleInputs rows');
  return rows.map((row) => ({
    [input.name]: { type: 'float32', data: Float32Array.from(row), dims: [1, row.length] },
  }));
}

function fromNpy(tensor: Tensor, contract: SampleContract): TensorMap[] {
  const input = singleInput(contract, '.npy samples');
  const rank = input.shape.length;
  const [count = 0, ...rest] = tensor.dims;
  if (tensor.dims.length !== rank + 1 && !(tensor.dims.length === rank && rank > 0)) {
    throw mismatch(
      undefined,
      `the .npy array has rank ${tensor.dims.length}; input ${input.name} has rank ${rank}, so the array needs rank ${rank + 1} (samples first) or ${rank} (one sample per slice of the first axis)`,
      { input: input.name, expected: rank + 1, actual: tensor.dims.length },
    );
  }
  if (count < 1 || count > SELF_TEST_LIMITS.maxVectors) {
    throw mismatch(undefined, `the .npy array holds ${count} samples; give 1 to ${SELF_TEST_LIMITS.maxVectors}`, {
      input: input.name,
    });
  }
  const dims = tensor.dims.length === rank + 1 ? rest : [1, ...rest];
  const per = tensor.data.length / count;
  return Array.from({ length: count }, (_, i) => ({
    [input.name]: { type: tensor.type, data: tensor.data.slice(i * per, (i + 1) * per), dims } as Tensor,
  }));
}

function fromJson(source: Extract<SampleSource, { kind: 'json' }>, contract: SampleContract): TensorMap[] {
  const specs = new Map(contract.inputs.map((s) => [s.name, s]));
  return source.samples.map((sample, i) => {
    const feeds: Record<string, Tensor> = {};
    for (const [name, json] of Object.entries(sample)) {
      const type = json.dtype ?? specs.get(name)?.dtype;
      if (type === undefined) throw unknownInput(i, name, contract);
      feeds[name] = tensorFromJson(json, type, `samples.${i}.${name}`);
    }
    return feeds;
  });
}

function unknownInput(sample: number, name: string, contract: SampleContract): ControlPlaneError {
  const output = contract.state.get(name);
  if (output !== undefined) {
    return mismatch(sample, `input ${name} is recurrent state (fed from output ${output}); samples leave it out`, {
      input: name,
    });
  }
  return mismatch(sample, `the model has no input ${name}`, {
    input: name,
    expected: contract.inputs.map((s) => s.name),
  });
}

/** One call's feeds per sample, each checked against the contract. */
export function sampleFeeds(source: SampleSource, contract: SampleContract): readonly TensorMap[] {
  const samples =
    source.kind === 'rows'
      ? fromRows(source.rows, contract)
      : source.kind === 'npy'
        ? fromNpy(source.tensor, contract)
        : source.kind === 'json'
          ? fromJson(source, contract)
          : source.samples;
  const check = compileFeedChecker(contract.inputs, { maxElements: TENSOR_LIMITS.maxElements });
  samples.forEach((feeds, i) => {
    for (const name of Object.keys(feeds)) if (contract.state.has(name)) throw unknownInput(i, name, contract);
    const found = check(feeds);
    if (found !== undefined) throw sampleMismatch(i, found);
  });
  return samples;
}
