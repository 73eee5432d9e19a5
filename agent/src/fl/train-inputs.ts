/**
 * The trainer's boundary: what a training or evaluation request must look like before any tensor is made. A
 * federated task is remote input (the global weights and hyper-parameters come from the coordinator), so a
 * wrong-length vector, a non-finite weight, an out-of-range label or an absurd epoch count is rejected with
 * FL_TASK_INVALID instead of being trained on or turning into a tfjs shape error half-way through.
 */
import { type MlpSpec, mlpParameterCount } from '@edgefleet/protocol';
import { z } from 'zod';
import { AgentError } from '../errors.js';

export const TRAIN_LIMITS = Object.freeze({ maxEpochs: 1000 });

export type Labels = Uint8Array | Int32Array;

export interface TrainOptions {
  readonly weights: Float32Array;
  /** n × in, row-major. */
  readonly x: Float32Array;
  /** n class ids in [0, classes). */
  readonly y: Labels;
  readonly epochs: number;
  /** 0 or ≥ n: one full-batch step per epoch (FedSGD). */
  readonly batchSize: number;
  readonly lr: number;
  /** FedProx proximal weight μ (Li et al. 2020); 0 or absent is plain FedAvg local SGD. */
  readonly mu?: number;
  /** Seeds the minibatch shuffling. */
  readonly seed: number;
}

export interface EvaluateOptions {
  readonly weights: Float32Array;
  readonly x: Float32Array;
  readonly y: Labels;
}

const hyperParametersSchema = z
  .object({
    epochs: z.int().min(1).max(TRAIN_LIMITS.maxEpochs),
    batchSize: z.int().min(0),
    lr: z.number().positive(),
    mu: z.number().min(0).optional(),
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1),
  })
  // A gradient step on μ/2‖w − w_global‖² multiplies the distance by (1 − lr·μ): at lr·μ ≥ 2 it grows every
  // step and local training diverges however good the data, so such a task is refused up front.
  .refine((h) => h.lr * (h.mu ?? 0) < 2, { message: 'lr × mu must be below 2', path: ['mu'] });

function invalid(message: string, details: Record<string, unknown> = {}): AgentError {
  return new AgentError('FL_TASK_INVALID', message, { details });
}

function allFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/** Checks weights, features and labels against the spec; returns the number of samples. */
export function validateData(spec: MlpSpec, options: EvaluateOptions): number {
  const { weights, x, y } = options;
  if (!(weights instanceof Float32Array) || !(x instanceof Float32Array)) {
    throw invalid('weights and x must be Float32Arrays');
  }
  if (!(y instanceof Uint8Array || y instanceof Int32Array)) throw invalid('y must be a Uint8Array or Int32Array');
  const expected = mlpParameterCount(spec);
  if (weights.length !== expected) {
    throw invalid(`weights have ${weights.length} values, the spec needs ${expected}`, { expected });
  }
  if (!allFinite(weights)) throw invalid('weights contain NaN or infinite values');
  const inputs = spec.layers[0] as number;
  const classes = spec.layers[spec.layers.length - 1] as number;
  const n = y.length;
  if (n === 0) throw invalid('no samples');
  if (x.length !== n * inputs) {
    throw invalid(`x has ${x.length} values, ${n} samples × ${inputs} features need ${n * inputs}`, { n, inputs });
  }
  if (!allFinite(x)) throw invalid('x contains NaN or infinite values');
  for (let i = 0; i < n; i++) {
    const label = y[i] as number;
    if (label < 0 || label >= classes) {
      throw invalid(`label ${label} at sample ${i} is outside [0, ${classes})`, { index: i, classes });
    }
  }
  return n;
}

export function validateTrainOptions(spec: MlpSpec, options: TrainOptions): number {
  const parsed = hyperParametersSchema.safeParse({
    epochs: options.epochs,
    batchSize: options.batchSize,
    lr: options.lr,
    mu: options.mu,
    seed: options.seed,
  });
  if (!parsed.success) {
    throw invalid(`invalid training hyper-parameters: ${z.prettifyError(parsed.error)}`);
  }
  return validateData(spec, options);
}
