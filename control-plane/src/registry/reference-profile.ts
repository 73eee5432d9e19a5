/**
 * The reference profile of a model version (issue 5 §1): the uploaded reference rows are run through the
 * model in its engine (model-engines.ts), and protocol `buildReferenceProfile` turns rows and outputs into decile bins,
 * top-K categories and the predicted-class histogram that devices will count their live data against.
 * Rows run in batches when the model's batch dimension is dynamic, one by one when it is fixed.
 */
import { buildReferenceProfile, type ReferenceProfile } from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../errors.js';
import type { ModelEngine } from './model-engines.js';

const BATCH_ROWS = 1024;

/** The `reference` part of a model upload. */
export const referenceInputSchema = z.strictObject({
  // The profile schema allows at most 256 features.
  rows: z.array(z.array(z.number()).min(1).max(256)).min(1).max(10_000),
  featureNames: z.array(z.string().min(1).max(64)).optional(),
  /** Indices of categorical features. */
  categorical: z.array(z.int().nonnegative()).max(256).optional(),
  topK: z.int().min(1).max(64).optional(),
});

export type ReferenceInput = z.infer<typeof referenceInputSchema>;

function invalid(field: string, message: string): ControlPlaneError {
  return new ControlPlaneError('BODY_INVALID', `${field}: ${message}`, { details: { field } });
}

function checkShape(reference: ReferenceInput, width: number): void {
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

async function runRows(engine: ModelEngine, rows: number[][]) {
  const batch = engine.input.shape[0] === -1 ? BATCH_ROWS : 1;
  const outputs: number[][] = [];
  for (let first = 0; first < rows.length; first += batch) {
    const slice = rows.slice(first, first + batch);
    let data: Float32Array;
    try {
      data = await engine.run(Float32Array.from(slice.flat()), slice.length);
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
}): Promise<ReferenceProfile> {
  const { reference, engine } = options;
  const { input } = engine;
  const width = input.shape[1] !== undefined && input.shape[1] > 0 ? input.shape[1] : reference.rows[0]!.length;
  checkShape(reference, width);
  // Float32 round-trip: devices bin the float32 values the model actually sees.
  const rows = reference.rows.map((row) => Array.from(Float32Array.from(row)));
  const outputs = await runRows(engine, rows);
  if (outputs.some((o) => o.length < 2)) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', 'a reference profile needs a model with at least two outputs');
  }
  return buildReferenceProfile({
    rows,
    outputs,
    ...(reference.featureNames === undefined ? {} : { featureNames: reference.featureNames }),
    ...(reference.categorical === undefined ? {} : { categorical: reference.categorical }),
    ...(reference.topK === undefined ? {} : { topK: reference.topK }),
  });
}
