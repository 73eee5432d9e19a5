/**
 * What a run feeds the control plane and the fleet, prepared before either starts: the two model uploads
 * (the built-in iris classifiers, or the scenario's model files with their sample inputs — the samples
 * file, else a handful of calls made by the first cohort's generator, one stream for a stateful model) and
 * each cohort's data generator, held to the models' contracts. Every problem of the scenario's model and
 * data sections is gathered and reported at once as SCENARIO_INVALID, `field.path: message` per line.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { mulberry32, type Tensor, type TensorSpec } from '@edgefleet/protocol';
import { SimulatorError } from '../errors.js';
import { type ContractUnderTest, createCohortGenerator } from '../generators/cohort-generator.js';
import type { CohortGenerator } from '../generators/generator-types.js';
import type { FileModel } from '../scenario/model-schema.js';
import { modelLineOf, type Scenario } from '../scenario/scenario-schema.js';
import { buildIrisModel, IRIS_FEATURE_NAMES, irisRows } from './iris-classifier.js';
import { type ModelContract, readModelContract } from './onnx-contract.js';

/** Sample inputs generated for a registration without a samples file (one stream for a stateful model). */
const GENERATED_SAMPLES = 4;
const ROLES = ['champion', 'candidate'] as const;
type Role = (typeof ROLES)[number];

export interface ModelUpload {
  readonly onnx: Uint8Array;
  /** Part `metadata` of `POST /v1/models/:line/versions`. */
  readonly metadata: Record<string, unknown>;
  /** A `.npy` samples file (part `samples`). */
  readonly samplesFile?: Uint8Array;
  /** Part `reference`: the rows the drift profile is computed from (iris). */
  readonly reference?: { readonly rows: number[][]; readonly featureNames: readonly string[] };
}

export interface Workload {
  readonly line: string;
  readonly kind: 'iris' | 'file';
  /** The champion's inputs, as the report lists them. */
  readonly inputs: readonly TensorSpec[];
  /** The output the report summarises per call (argmax class shares, or the mean score). */
  readonly firstOutput: string;
  readonly champion: ModelUpload;
  readonly candidate: ModelUpload;
  /** Per cohort, in scenario order. */
  readonly generators: readonly CohortGenerator[];
  /** Per cohort: whether calls name the device's stream. */
  readonly streamed: readonly boolean[];
}

const IRIS_INPUTS: readonly TensorSpec[] = [{ name: 'features', dtype: 'float32', shape: ['N', 4] }];

/** The JSON sample form the registry takes: `{ dtype, dims, data: base64 of the little-endian bytes }`. */
function jsonSample(feeds: Readonly<Record<string, Tensor>>) {
  return Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [
      name,
      {
        dtype: t.type,
        dims: [...t.dims],
        data: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'),
      },
    ]),
  );
}

function irisWorkload(scenario: Scenario, startMs: number): Workload {
  const upload = (role: Role): ModelUpload => {
    const model = scenario.models[role];
    if (model.kind !== 'iris') throw new Error('unreachable: both models are iris (schema)');
    const built = buildIrisModel(model);
    return {
      onnx: built.onnx,
      metadata: { sampleInputs: built.sampleInputs },
      reference: { rows: irisRows().features, featureNames: IRIS_FEATURE_NAMES },
    };
  };
  const generators = scenario.fleet.cohorts.map((cohort, i) => {
    const made = createCohortGenerator({
      data: cohort.data,
      path: `fleet.cohorts.${i}.data`,
      models: [],
      startMs,
      rows: scenario.traffic.rows,
    });
    if (made.generator === null) throw new Error('unreachable: the iris generator has no contract to fit');
    return made.generator;
  });
  return {
    line: modelLineOf(scenario),
    kind: 'iris',
    inputs: IRIS_INPUTS,
    firstOutput: 'probabilities',
    champion: upload('champion'),
    candidate: upload('candidate'),
    generators,
    streamed: generators.map(() => false),
  };
}

interface LoadedFile {
  readonly role: Role;
  readonly model: FileModel;
  readonly bytes: Uint8Array;
  readonly contract: ModelContract;
  readonly target: ContractUnderTest;
}

async function loadFile(role: Role, model: FileModel, problems: string[]): Promise<LoadedFile | null> {
  const path = typeof model.file === 'string' ? model.file : `${model.file.package}/${model.file.path}`;
  const field = `models.${role}.file`;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (cause) {
    problems.push(`${field}: cannot read ${path}: ${(cause as Error).message}`);
    return null;
  }
  const contract = readModelContract(bytes);
  if (typeof contract === 'string') {
    problems.push(`${field}: ${path} is ${contract}`);
    return null;
  }
  const inputs = new Set(contract.inputs.map((s) => s.name));
  const outputs = new Set(contract.outputs.map((s) => s.name));
  for (const [i, pair] of (model.state ?? []).entries()) {
    if (!inputs.has(pair.input)) problems.push(`models.${role}.state.${i}.input: ${path} has no input "${pair.input}"`);
    if (!outputs.has(pair.output))
      problems.push(`models.${role}.state.${i}.output: ${path} has no output "${pair.output}"`);
  }
  const target = {
    model: `${field} (${basename(path)})`,
    contract,
    stateInputs: new Set((model.state ?? []).map((p) => p.input)),
  };
  return { role, model, bytes, contract, target };
}

/** A samples file: `.npy` bytes as a file part, JSON as metadata `samples` (an array, or `{ samples }`). */
async function samplesOf(
  file: LoadedFile,
  problems: string[],
): Promise<Pick<ModelUpload, 'samplesFile' | 'metadata'> | null> {
  const path = file.model.samples as string;
  const field = `models.${file.role}.samples`;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    problems.push(`${field}: cannot read ${path}: ${(cause as Error).message}`);
    return null;
  }
  // numpy's format (NEP 1): the magic string \x93NUMPY.
  if (bytes.subarray(0, 6).equals(Buffer.from('\x93NUMPY', 'latin1'))) {
    return { samplesFile: new Uint8Array(bytes), metadata: {} };
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    problems.push(`${field}: ${path} is neither a .npy file nor JSON: ${(cause as Error).message}`);
    return null;
  }
  const samples = Array.isArray(value) ? value : (value as { samples?: unknown } | null)?.samples;
  if (!Array.isArray(samples) || samples.length === 0) {
    problems.push(`${field}: ${path} must hold a non-empty array of samples, or { "samples": [...] }`);
    return null;
  }
  return { metadata: { samples } };
}

async function fileWorkload(scenario: Scenario, startMs: number): Promise<Workload> {
  const problems: string[] = [];
  const files: LoadedFile[] = [];
  for (const role of ROLES) {
    const model = scenario.models[role];
    if (model.kind !== 'file') throw new Error('unreachable: both models are files (schema)');
    const loaded = await loadFile(role, model, problems);
    if (loaded !== null) files.push(loaded);
  }
  const [champion, candidate] = files;
  if (champion === undefined || candidate === undefined) throw invalid(scenario, problems);
  // One check when both models have the same contract (the same file, typically).
  const sameContract = JSON.stringify(candidate.contract) === JSON.stringify(champion.contract);
  const targets = sameContract ? [champion.target] : [champion.target, candidate.target];
  const generators: CohortGenerator[] = [];
  for (const [i, cohort] of scenario.fleet.cohorts.entries()) {
    const made = createCohortGenerator({
      data: cohort.data,
      path: `fleet.cohorts.${i}.data`,
      models: targets,
      startMs,
      rows: scenario.traffic.rows,
    });
    if (made.generator === null) problems.push(...made.problems);
    else generators.push(made.generator);
  }
  const uploads = new Map<Role, ModelUpload>();
  for (const [k, file] of files.entries()) {
    const state = file.model.state === undefined ? {} : { state: file.model.state };
    if (file.model.samples !== undefined) {
      const given = await samplesOf(file, problems);
      if (given !== null)
        uploads.set(file.role, { onnx: file.bytes, ...given, metadata: { ...given.metadata, ...state } });
      continue;
    }
    const first = generators[0];
    if (first === undefined) continue;
    // Seeded apart from every device (and from the other model), so the two bundles differ.
    const device = first.forDevice(mulberry32((scenario.seed * 7_368_787 + 1 + k) >>> 0));
    const samples = Array.from({ length: GENERATED_SAMPLES }, () => device.next(Number.NEGATIVE_INFINITY)).map(
      (call) => (call.kind === 'tensors' ? jsonSample(call.feeds) : {}),
    );
    uploads.set(file.role, { onnx: file.bytes, metadata: { samples, ...state } });
  }
  if (problems.length > 0) throw invalid(scenario, problems);
  const stateful = (champion.model.state ?? []).length > 0 || (candidate.model.state ?? []).length > 0;
  const stateOutputs = new Set((champion.model.state ?? []).map((p) => p.output));
  return {
    line: modelLineOf(scenario),
    kind: 'file',
    inputs: champion.contract.inputs,
    firstOutput: (champion.contract.outputs.find((s) => !stateOutputs.has(s.name)) ?? champion.contract.outputs[0])
      ?.name as string,
    champion: uploads.get('champion') as ModelUpload,
    candidate: uploads.get('candidate') as ModelUpload,
    generators,
    streamed: scenario.fleet.cohorts.map((c) => stateful || (c.data.generator === 'audio' && c.data.stream)),
  };
}

function invalid(scenario: Scenario, problems: readonly string[]): SimulatorError {
  return new SimulatorError(
    'SCENARIO_INVALID',
    `scenario ${scenario.name}: its models and data do not fit:\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
}

export async function prepareWorkload(scenario: Scenario, options: { startMs: number }): Promise<Workload> {
  return scenario.models.champion.kind === 'iris'
    ? irisWorkload(scenario, options.startMs)
    : fileWorkload(scenario, options.startMs);
}
