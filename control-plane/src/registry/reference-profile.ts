/**
 * The reference profile of a model version: the uploaded reference data is run through the
 * model in its engine (model-engines.ts), and protocol `buildReferenceProfile` turns features and outputs
 * into bins, top-K categories and the predicted-class histogram that devices will count their live data
 * against. Two forms: reference `rows` for a tabular model — one float32 [N, F] input (no state) and a
 * float32 [N, C] first output with at least two classes; rows run in batches when the model's batch
 * dimension is free, one by one when it is fixed at 1 — and a reference set of named tensors with the
 * summary features to profile, for any model (reference-set.ts).
 */
import { buildReferenceProfile, type ReferenceProfile, type StatePair, type TensorSpec } from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';
import type { ModelEngine } from './model-engines.js';
import { profileFromTensors, type TensorReference } from './reference-set.js';

const BATCH_ROWS = 1024;

/** The `reference` part of a model upload, tabular form. */
export const referenceInputSchema = z.strictObject({
  // The profile schema allows at most 256 features.
  rows: z.array(z.array(z.number()).min(1).max(256)).min(1).max(10_000),
  featureNames: z.array(z.string().min(1).max(64)).optional(),
  /** Indices of categorical features. */
  categorical: z.array(z.int().nonnegative()).max(256).optional(),
  topK: z.int().min(1).max(64).optional(),
});

export type TabularReference = z.infer<typeof referenceInputSchema>;
export type ReferenceInput = TabularReference | TensorReference;

function invalid(field: string, message: string): ControlPlaneError {
  return new ControlPlaneError('BODY_INVALID', `${field}: ${message}`, { details: { field } });
}

function checkShape(reference: TabularReference, width: number): void {
  reference.rows.forEach((row, i) => {
    if (row.length !== width)
      throw invalid(`reference.rows.${i}`, `has ${row.length} values, the model takes ${width}`);
  });
  if (reference.featureNames !== undefined && reference.featureNames.length !== width) {
    throw invalid('reference.featureNames', `has ${reference.featureNames.length} names for ${width} features`);
  }
  const outOfRange = reference.categorical?.find((i) => i >= width);
  if (outOfRange !== undefined) throw invalid('reference.categorical', `feature ${outOfRange} does not exist`);
}

/** The model's input and class output when it is tabular; BODY_INVALID otherwise (the rows are the caller's). */
function tabularContract(engine: ModelEngine, stateful: boolean): { input: TensorSpec; output: TensorSpec } {
  const [input, ...moreInputs] = engine.inputs;
  const [output] = engine.outputs;
  const batch = input?.shape[0];
  if (
    stateful ||
    input === undefined ||
    moreInputs.length > 0 ||
    input.dtype !== 'float32' ||
    input.shape.length !== 2 ||
    (typeof batch === 'number' && batch > 1)
  ) {
    throw invalid('reference', 'drift reference rows need a model with one float32 [N, F] input and no state');
  }
  const classes = output?.shape[1];
  if (
    output === undefined ||
    output.dtype !== 'float32' ||
    output.shape.length !== 2 ||
    (typeof classes === 'number' && classes > 0 && classes < 2)
  ) {
    throw invalid('reference', 'drift reference rows need a model whose first output is float32 [N, C] with C ≥ 2');
  }
  return { input, output };
}

async function runRows(engine: ModelEngine, contract: { input: TensorSpec; output: TensorSpec }, rows: number[][]) {
  const { input, output } = contract;
  const batch = input.shape[0] === 1 ? 1 : BATCH_ROWS;
  const outputs: number[][] = [];
  for (let first = 0; first < rows.length; first += batch) {
    const slice = rows.slice(first, first + batch);
    let data: Float32Array;
    try {
      const feeds = {
        [input.name]: {
          type: 'float32',
          data: Float32Array.from(slice.flat()),
          dims: [slice.length, slice[0]!.length],
        },
      } as const;
      data = (await engine.run(feeds))[output.name]?.data as Float32Array;
    } catch (cause) {
      throw new ControlPlaneError('MODEL_LOAD_FAILED', `model failed on reference rows from ${first}`, {
        cause,
        details: { row: first },
      });
    }
    const classes = data.length / slice.length;
    for (let r = 0; r < slice.length; r++) outputs.push(Array.from(data.subarray(r * classes, (r + 1) * classes)));
  }
  return outputs;
}

export async function profileFromReference(options: {
  engine: ModelEngine;
  reference: ReferenceInput;
  /** Whether the model has recurrent state (state pairs): such a model has no tabular profile. */
  stateful: boolean;
  /** The state pairs, for a reference set of a stateful model (run as one stream). */
  state?: readonly StatePair[] | undefined;
}): Promise<ReferenceProfile> {
  const { reference, engine } = options;
  if (!('rows' in reference)) return profileFromTensors({ engine, reference, state: options.state ?? [] });
  const contract = tabularContract(engine, options.stateful);
  const features = contract.input.shape[1];
  const width = typeof features === 'number' && features > 0 ? features : reference.rows[0]!.length;
  checkShape(reference, width);
  // Float32 round-trip: devices bin the float32 values the model actually sees.
  const rows = reference.rows.map((row) => Array.from(Float32Array.from(row)));
  const outputs = await runRows(engine, contract, rows);
  if (outputs.some((o) => o.length < 2)) {
    throw invalid('reference', 'drift reference rows need a model whose first output has at least two classes');
  }
  return buildReferenceProfile({
    rows,
    outputs,
    ...(reference.featureNames === undefined ? {} : { featureNames: reference.featureNames }),
    ...(reference.categorical === undefined ? {} : { categorical: reference.categorical }),
    ...(reference.topK === undefined ? {} : { topK: reference.topK }),
  });
}
