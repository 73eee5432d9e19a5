/**
 * Evaluates a global model on the job's held-out set each round.
 * The weights are exported to ONNX and run in onnxruntime-node — the same bytes a device would run, so the
 * accuracy the coordinator records is the accuracy of the model that gets registered, and every round also
 * proves the export loads. Cross-entropy uses the softmax output, clamped away from log(0).
 */
import type { MlpSpec } from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { ControlPlaneError } from '../errors.js';
import { exportMlpOnnx, MLP_INPUT_NAME, MLP_OUTPUT_NAME } from './mlp-onnx.js';

export interface EvalSet {
  /** Row-major [rows, features]. */
  readonly x: Float32Array;
  readonly y: Uint8Array | Int32Array;
  readonly features: number;
}

export interface Evaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly rows: number;
}

const PROBABILITY_FLOOR = 1e-7;

export function assertEvalSet(set: EvalSet, spec: MlpSpec): void {
  const inputs = spec.layers[0] as number;
  const classes = spec.layers.at(-1) as number;
  const rows = set.y.length;
  if (set.features !== inputs || set.x.length !== rows * inputs || rows === 0) {
    throw new ControlPlaneError(
      'BODY_INVALID',
      `evaluation set must be ${inputs} features per row with one label each`,
      {
        details: { features: set.features, values: set.x.length, labels: rows },
      },
    );
  }
  if (set.y.some((label) => label < 0 || label >= classes)) {
    throw new ControlPlaneError('BODY_INVALID', `evaluation labels must lie in [0, ${classes})`);
  }
}

export async function evaluateMlp(spec: MlpSpec, weights: Float32Array, set: EvalSet): Promise<Evaluation> {
  const session = await ort.InferenceSession.create(exportMlpOnnx(spec, weights));
  try {
    const rows = set.y.length;
    const input = new ort.Tensor('float32', set.x, [rows, set.features]);
    const output = (await session.run({ [MLP_INPUT_NAME]: input }))[MLP_OUTPUT_NAME];
    const probabilities = output?.data as Float32Array;
    const classes = spec.layers.at(-1) as number;
    let correct = 0;
    let loss = 0;
    for (let row = 0; row < rows; row++) {
      const base = row * classes;
      let best = 0;
      for (let c = 1; c < classes; c++)
        if ((probabilities[base + c] as number) > (probabilities[base + best] as number)) best = c;
      const label = set.y[row] as number;
      if (best === label) correct++;
      loss -= Math.log(Math.max(probabilities[base + label] as number, PROBABILITY_FLOOR));
    }
    return { accuracy: correct / rows, loss: loss / rows, rows };
  } finally {
    await session.release();
  }
}
