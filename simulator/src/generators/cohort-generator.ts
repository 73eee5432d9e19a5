/**
 * Builds a cohort's generator and holds it to the models' contracts before anything runs: the inputs it
 * names must be model inputs (and not recurrent state, which the agent feeds), every other input must be
 * fed, the element types must be ones it can make, and one generated call must pass protocol's feed checker
 * — the check the agent applies to every call. A problem is reported as `<scenario field>: <message>`,
 * naming the field to change (`fleet.cohorts.0.data.dims`) and the model file whose contract it broke.
 */
import { compileFeedChecker, mulberry32, type TensorMismatch, type TensorSpec } from '@edgefleet/protocol';
import { describeSpec, type ModelContract } from '../models/onnx-contract.js';
import type { CohortData } from '../scenario/data-schema.js';
import { AUDIO_DTYPES, createAudioGenerator } from './audio-generator.js';
import type { CohortGenerator } from './generator-types.js';
import { createImageGenerator, IMAGE_DTYPES } from './image-generator.js';
import { createIrisGenerator } from './iris-generator.js';
import { createTensorGenerator } from './tensor-generator.js';

/** The agent's default limit on one input's elements (16 Mi), so a call the agent would refuse is refused here. */
const MAX_ELEMENTS = 16 * 1024 * 1024;

type TensorGeneratorData = Exclude<CohortData, { generator: 'iris' }>;

export interface ContractUnderTest {
  /** How messages name the model: `models.champion.file (…/model.onnx)`. */
  readonly model: string;
  readonly contract: ModelContract;
  /** Inputs fed from the model's own outputs (state pairs). */
  readonly stateInputs: ReadonlySet<string>;
}

/** Where each input the generator names is configured in the scenario. */
function namedFields(data: TensorGeneratorData, path: string): Map<string, string> {
  const fields = new Map<string, string>();
  if (data.generator === 'tensor') {
    for (const name of Object.keys(data.inputs)) fields.set(name, `${path}.inputs.${name}`);
    return fields;
  }
  fields.set(data.input, `${path}.input`);
  for (const name of Object.keys(data.extra ?? {})) fields.set(name, `${path}.extra.${name}`);
  return fields;
}

/** Names, state and element types: what must hold before a call can be generated at all. */
function namingProblems(data: TensorGeneratorData, path: string, target: ContractUnderTest): string[] {
  const { contract, stateInputs, model } = target;
  const specs = new Map(contract.inputs.map((s) => [s.name, s]));
  const fields = namedFields(data, path);
  const problems: string[] = [];
  for (const [name, field] of fields) {
    if (!specs.has(name)) {
      problems.push(`${field}: ${model} has no input "${name}" (inputs: ${[...specs.keys()].join(', ')})`);
    } else if (stateInputs.has(name)) {
      problems.push(`${field}: input ${name} is recurrent state (a state pair of the model): the agent feeds it`);
    }
  }
  for (const spec of contract.inputs) {
    if (fields.has(spec.name) || stateInputs.has(spec.name)) continue;
    const where = data.generator === 'tensor' ? 'inputs' : 'extra';
    problems.push(`${path}: ${model} also takes ${spec.name} (${describeSpec(spec)}): add it under ${where}`);
  }
  if (data.generator === 'image' || data.generator === 'audio') {
    const spec = specs.get(data.input);
    const allowed = data.generator === 'image' ? IMAGE_DTYPES : AUDIO_DTYPES;
    if (spec !== undefined && !allowed.includes(spec.dtype)) {
      problems.push(
        `${path}.input: input ${spec.name} of ${model} is ${spec.dtype}; the ${data.generator} generator makes ${allowed.join(', ')}`,
      );
    }
    if (spec !== undefined && data.generator === 'audio' && spec.shape.length === 0) {
      problems.push(`${path}.input: input ${spec.name} of ${model} is a scalar; audio frames need an axis`);
    }
  }
  if (data.generator === 'audio' && !data.stream && stateInputs.size > 0) {
    problems.push(`${path}.stream: ${model} keeps recurrent state (models.*.state): its calls need a stream`);
  }
  return problems;
}

/** The scenario field that sets what `mismatch` is about. */
function fieldOf(data: TensorGeneratorData, path: string, mismatch: TensorMismatch): string {
  const input = mismatch.details.input;
  const typed = mismatch.code === 'INPUT_DTYPE';
  if (data.generator === 'tensor') return `${path}.inputs.${input}.${typed ? 'dtype' : 'dims'}`;
  if (input !== data.input) return `${path}.extra.${input}.${typed ? 'dtype' : 'dims'}`;
  if (typed) return `${path}.input`;
  return data.generator === 'image' ? `${path}.dims` : `${path}.frameSamples`;
}

function build(data: TensorGeneratorData, contract: ModelContract, startMs: number): CohortGenerator {
  const spec = (name: string) => contract.inputs.find((s) => s.name === name) as TensorSpec;
  switch (data.generator) {
    case 'image':
      return createImageGenerator({ data, dtype: spec(data.input).dtype, startMs });
    case 'audio':
      return createAudioGenerator({ data, spec: spec(data.input), startMs });
    case 'tensor': {
      const dtypes = Object.fromEntries(
        Object.entries(data.inputs).map(([name, t]) => [name, t.dtype ?? spec(name).dtype]),
      );
      return createTensorGenerator({ data, dtypes, startMs });
    }
  }
}

/**
 * The cohort's generator, built on the first model's contract and checked against every model's (the
 * champion's and, when it differs, the candidate's); or the problems, one `field: message` each.
 */
export function createCohortGenerator(options: {
  data: CohortData;
  /** `fleet.cohorts.<i>.data` */
  path: string;
  models: readonly ContractUnderTest[];
  startMs: number;
  /** Rows per call of the iris generator. */
  rows: number;
}): { generator: CohortGenerator; problems: [] } | { generator: null; problems: string[] } {
  const { data, path } = options;
  if (data.generator === 'iris') {
    return { generator: createIrisGenerator({ data, rows: options.rows, startMs: options.startMs }), problems: [] };
  }
  const naming = [...new Set(options.models.flatMap((m) => namingProblems(data, path, m)))];
  const first = options.models[0];
  if (naming.length > 0 || first === undefined) return { generator: null, problems: naming };
  const generator = build(data, first.contract, options.startMs);
  const probe = generator.forDevice(mulberry32(1)).next(Number.NEGATIVE_INFINITY);
  if (probe.kind !== 'tensors') throw new Error('unreachable: model-file generators make tensors');
  const problems: string[] = [];
  for (const { model, contract, stateInputs } of options.models) {
    const fed = contract.inputs.filter((s) => !stateInputs.has(s.name));
    const mismatch = compileFeedChecker(fed, { maxElements: MAX_ELEMENTS })(probe.feeds);
    if (mismatch === undefined) continue;
    const input = fed.find((s) => s.name === mismatch.details.input);
    const made = probe.feeds[mismatch.details.input];
    const shown = made === undefined ? '' : `${made.type} [${made.dims.join(', ')}] `;
    problems.push(
      `${fieldOf(data, path, mismatch)}: ${shown}does not fit input ${mismatch.details.input} of ${model}${input === undefined ? '' : ` (${describeSpec(input)})`}: ${mismatch.message}`,
    );
  }
  return problems.length === 0 ? { generator, problems: [] } : { generator: null, problems };
}
