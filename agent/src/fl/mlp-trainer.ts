/**
 * The on-device trainer of the FL client (DESIGN.md §4): local minibatch SGD with softmax cross-entropy on an
 * MLP whose parameters travel as protocol's flat vector — exactly ClientUpdate of McMahan et al. 2017 Alg. 1
 * (E epochs over the local data in shuffled batches of B, B = ∞ being FedSGD), optionally with the FedProx
 * proximal term μ/2‖w − w_global‖² (Li et al. 2020 eq. 2), whose gradient μ(w − w_global) is added to each
 * step's gradient directly. Shuffling is seeded, so a seed reproduces a run bit for bit on one backend.
 * Training yields to the event loop every few milliseconds because the agent keeps serving inference and MQTT
 * while it trains; every tensor lives inside a tidy or is disposed in a finally, so nothing leaks.
 */

import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  type ErrorCode,
  errorCodeOf,
  initialMlpWeights,
  type MlpSpec,
  mlpSpecSchema,
  mulberry32,
  shuffled,
} from '@edgefleet/protocol';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import { type Logger, pino } from 'pino';
import { AgentError } from '../errors.js';
import { flatFromTensors, forward, tensorsFromFlat } from './mlp-graph.js';
import { sgdStep } from './sgd-step.js';
import { runExclusive, type TfModule, type TrainingBackend } from './tfjs-engine.js';
import { type EvaluateOptions, type TrainOptions, validateData, validateTrainOptions } from './train-inputs.js';

export const DEFAULTS = Object.freeze({
  backend: 'wasm' as TrainingBackend,
  /** Longest stretch of training between two event-loop turns. */
  yieldEveryMs: 10,
  /** Rows per forward pass in evaluate, bounding its peak memory. */
  evaluateChunkRows: 1024,
});

export interface TrainResult {
  readonly weights: Float32Array;
  readonly steps: number;
  /** Mean cross-entropy over the last epoch's batches, taken before each step (proximal term excluded). */
  readonly loss: number;
}

export interface MlpTrainerStats {
  readonly trainings: number;
  readonly steps: number;
  readonly rejected: Partial<Record<ErrorCode, number>>;
  /** tfjs tensors alive in the process (all trainers): constant between calls unless something leaks. */
  readonly liveTensors: number;
}

export interface MlpTrainer {
  readonly spec: MlpSpec;
  readonly backend: TrainingBackend;
  initialWeights(seed: number): Float32Array;
  train(options: TrainOptions): Promise<TrainResult>;
  evaluate(options: EvaluateOptions): Promise<{ accuracy: number; loss: number }>;
  stats(): MlpTrainerStats;
  dispose(): void;
}

export interface MlpTrainerOptions {
  readonly spec: MlpSpec;
  readonly backend?: TrainingBackend;
  /** When the wasm backend cannot start, train on cpu (logged) instead of failing. Default true. */
  readonly fallbackToCpu?: boolean;
  readonly yieldEveryMs?: number;
  readonly logger?: Logger;
}

type TrainerState = 'ready' | 'disposed';

export async function createMlpTrainer(options: MlpTrainerOptions): Promise<MlpTrainer> {
  const parsedSpec = mlpSpecSchema.safeParse(options.spec);
  if (!parsedSpec.success) {
    throw new AgentError('FL_TASK_INVALID', `invalid MLP spec: ${parsedSpec.error.issues[0]?.message ?? ''}`);
  }
  const spec = parsedSpec.data;
  const log = (options.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' })).child({ fl: 'trainer' });
  const yieldEveryMs = options.yieldEveryMs ?? DEFAULTS.yieldEveryMs;
  const backend = await startBackend(options.backend ?? DEFAULTS.backend, options.fallbackToCpu ?? true, log);
  const classes = spec.layers[spec.layers.length - 1] as number;
  const inputs = spec.layers[0] as number;
  const rejected: Partial<Record<ErrorCode, number>> = {};
  let trainings = 0;
  let totalSteps = 0;
  let liveTensors = 0;
  let state: TrainerState = 'ready';

  function assertReady(): void {
    if (state !== 'ready') throw new AgentError('INVALID_TRANSITION', 'the trainer has been disposed');
  }

  /** Counts and logs a rejected request, then rethrows it to the caller. */
  async function guarded<T>(what: string, job: () => Promise<T>): Promise<T> {
    try {
      assertReady();
      return await job();
    } catch (error) {
      const code = errorCodeOf(error);
      rejected[code] = (rejected[code] ?? 0) + 1;
      log.warn({ err: error, code, what }, 'federated training request rejected');
      throw error;
    }
  }

  async function runTraining(tf: TfModule, request: TrainOptions, n: number): Promise<TrainResult> {
    const batchSize = request.batchSize === 0 || request.batchSize >= n ? n : request.batchSize;
    const mu = request.mu ?? 0;
    const random = mulberry32(request.seed);
    const all = Array.from({ length: n }, (_, i) => i);
    const xBatch = new Float32Array(batchSize * inputs);
    const yBatch = new Int32Array(batchSize);
    const initial = tensorsFromFlat(tf, spec, request.weights);
    const variables: Variable[] = initial.map((t) => tf.variable(t));
    const global: Tensor[] = mu > 0 ? initial : [];
    if (mu === 0) tf.dispose(initial);
    let steps = 0;
    let epochLoss = 0;
    let lastYield = performance.now();
    try {
      for (let epoch = 0; epoch < request.epochs; epoch++) {
        const order = shuffled(all, random);
        epochLoss = 0;
        for (let start = 0; start < n; start += batchSize) {
          const rows = Math.min(batchSize, n - start);
          for (let r = 0; r < rows; r++) {
            const sample = order[start + r] as number;
            xBatch.set(request.x.subarray(sample * inputs, (sample + 1) * inputs), r * inputs);
            yBatch[r] = request.y[sample] as number;
          }
          const batchLoss = step(tf, variables, global, {
            x: xBatch.subarray(0, rows * inputs),
            y: yBatch.subarray(0, rows),
            lr: request.lr,
            mu,
          });
          epochLoss += batchLoss * rows;
          steps += 1;
          if (performance.now() - lastYield >= yieldEveryMs) {
            await yieldToEventLoop();
            lastYield = performance.now();
          }
        }
      }
      return { weights: flatFromTensors(spec, variables), steps, loss: epochLoss / n };
    } finally {
      tf.dispose(variables);
      tf.dispose(global);
      liveTensors = tf.memory().numTensors;
    }
  }

  /** One SGD step on one batch; returns the batch's mean loss before the step. */
  function step(
    tf: TfModule,
    variables: readonly Variable[],
    global: readonly Tensor[],
    batch: { x: Float32Array; y: Int32Array; lr: number; mu: number },
  ): number {
    return tf.tidy(() => {
      const rows = batch.y.length;
      const loss = sgdStep(tf, spec, variables, {
        x: tf.tensor2d(batch.x, [rows, inputs]),
        labels: tf.oneHot(tf.tensor1d(batch.y, 'int32'), classes) as Tensor2D,
        lr: batch.lr,
        mu: batch.mu,
        global,
      });
      return loss.dataSync()[0] as number;
    });
  }

  async function runEvaluation(tf: TfModule, request: EvaluateOptions, n: number) {
    const params = tensorsFromFlat(tf, spec, request.weights);
    let correct = 0;
    let lossSum = 0;
    try {
      for (let start = 0; start < n; start += DEFAULTS.evaluateChunkRows) {
        const rows = Math.min(DEFAULTS.evaluateChunkRows, n - start);
        const [hits, loss] = tf.tidy(() => {
          const x = tf.tensor2d(request.x.subarray(start * inputs, (start + rows) * inputs), [rows, inputs]);
          const labels = tf.tensor1d(Int32Array.from(request.y.subarray(start, start + rows)), 'int32');
          const logits = forward(tf, spec, params, x) as Tensor2D;
          const sumLoss = tf.losses.softmaxCrossEntropy(
            tf.oneHot(labels, classes),
            logits,
            undefined,
            undefined,
            tf.Reduction.SUM,
          );
          const hitCount = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'int32'));
          return [hitCount.dataSync()[0] as number, sumLoss.dataSync()[0] as number];
        });
        correct += hits;
        lossSum += loss;
        await yieldToEventLoop();
      }
      return { accuracy: correct / n, loss: lossSum / n };
    } finally {
      tf.dispose(params);
      liveTensors = tf.memory().numTensors;
    }
  }

  return {
    spec,
    backend,
    initialWeights: (seed) => initialMlpWeights(spec, seed),
    train: (request) =>
      guarded('train', async () => {
        const n = validateTrainOptions(spec, request);
        const result = await runExclusive(backend, (tf) => runTraining(tf, request, n));
        trainings += 1;
        totalSteps += result.steps;
        return result;
      }),
    evaluate: (request) =>
      guarded('evaluate', async () => {
        const n = validateData(spec, request);
        return runExclusive(backend, (tf) => runEvaluation(tf, request, n));
      }),
    stats: () => ({ trainings, steps: totalSteps, rejected: { ...rejected }, liveTensors }),
    dispose() {
      // The engine is process-wide and other trainers may use it; a trainer holds no tensors between calls.
      state = 'disposed';
    },
  };
}

async function startBackend(wanted: TrainingBackend, fallbackToCpu: boolean, log: Logger): Promise<TrainingBackend> {
  try {
    await runExclusive(wanted, async () => undefined);
    return wanted;
  } catch (error) {
    if (wanted === 'cpu' || !fallbackToCpu) throw error;
    log.warn({ err: error, backend: wanted }, 'tfjs backend unavailable, training on the cpu backend instead');
    await runExclusive('cpu', async () => undefined);
    return 'cpu';
  }
}
