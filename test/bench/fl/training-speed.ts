/**
 * `pnpm bench:fl-training`: how long one client's local training takes on the device, per tfjs backend, for
 * the 2NN (784-200-200-10) on MNIST digits — one B=10 SGD step, and one local epoch over 80 digits (a client of
 * the reproduction; 8 steps). Each is measured for the agent's MlpTrainer (a full `train` call: validation,
 * weight upload and read-back included) against the raw tfjs baseline on the same backend and data: a
 * tf.layers model with the same architecture and tf.train.sgd, stepped with trainOnBatch. Also reports the
 * wasm-vs-cpu ratio of the trainer. Writes bench-results/fl-training.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { createMlpTrainer, type MlpTrainer, type TrainingBackend } from '@edgefleet/agent';
import { type LabelledImages, mnistSplit, selectRows } from '@edgefleet/test/datasets';
import * as tf from '@tensorflow/tfjs';
import { type Comparison, compare, interleave } from '../stats.js';

const SPEC = { kind: 'mlp' as const, layers: [784, 200, 200, 10], activation: 'relu' as const };
const LR = 0.1;
// BENCH_SCALE multiplies the iteration counts (default 1).
const SCALE = Number(process.env.BENCH_SCALE ?? 1);

/** The textbook tfjs way to train the same network: tf.layers + SGD, one trainOnBatch per minibatch. */
function rawLayersModel(): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [784], units: 200, activation: 'relu' }),
      tf.layers.dense({ units: 200, activation: 'relu' }),
      tf.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy' });
  return model;
}

function batches(data: LabelledImages, batchSize: number): { x: tf.Tensor2D; y: tf.Tensor2D }[] {
  const out = [];
  for (let start = 0; start < data.n; start += batchSize) {
    const rows = Math.min(batchSize, data.n - start);
    out.push({
      x: tf.tensor2d(data.x.subarray(start * 784, (start + rows) * 784), [rows, 784]),
      y: tf.oneHot(tf.tensor1d(Int32Array.from(data.y.subarray(start, start + rows)), 'int32'), 10) as tf.Tensor2D,
    });
  }
  return out;
}

async function measureBackend(backend: TrainingBackend, client: LabelledImages): Promise<Comparison[]> {
  const trainer: MlpTrainer = await createMlpTrainer({ spec: SPEC, backend, fallbackToCpu: false });
  const weights = trainer.initialWeights(1);
  const step = selectRows(client, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const ours = (data: LabelledImages) => () =>
    trainer.train({ weights, x: data.x, y: data.y, epochs: 1, batchSize: 10, lr: LR, seed: 1 });
  // The trainer switched the engine to `backend`; the raw model lives on it too.
  await tf.setBackend(backend);
  const model = rawLayersModel();
  const stepBatch = batches(step, 10);
  const epochBatches = batches(client, 10);
  const rawSteps = (list: { x: tf.Tensor2D; y: tf.Tensor2D }[]) => async () => {
    for (const b of list) await model.trainOnBatch(b.x, b.y);
  };
  const slow = backend === 'cpu' ? 0.25 : 1;
  const n = (count: number) => Math.max(4, Math.round(count * slow * SCALE));
  const s = await interleave(rawSteps(stepBatch), ours(step), { iterations: n(200), block: n(20), warmup: 5 });
  const e = await interleave(rawSteps(epochBatches), ours(client), { iterations: n(40), block: n(4), warmup: 2 });
  model.dispose();
  tf.dispose([...stepBatch, ...epochBatches].flatMap((b) => [b.x, b.y]));
  trainer.dispose();
  const raw = 'raw tfjs tf.layers + sgd trainOnBatch';
  return [
    compare(`${backend}: one B=10 step`, { label: raw, samplesMs: s.a }, { label: 'MlpTrainer.train', samplesMs: s.b }),
    compare(
      `${backend}: one local epoch (80 digits, B=10, 8 steps)`,
      { label: raw, samplesMs: e.a },
      { label: 'MlpTrainer.train', samplesMs: e.b },
    ),
  ];
}

async function main(): Promise<void> {
  const { train } = mnistSplit();
  const client = selectRows(
    train,
    Array.from({ length: 80 }, (_, i) => i),
  );
  const wasm = await measureBackend('wasm', client);
  const cpu = await measureBackend('cpu', client);
  const ratio = (i: number) =>
    Math.round(((cpu[i]?.candidate.p50Ms ?? 0) / (wasm[i]?.candidate.p50Ms ?? 1)) * 100) / 100;
  const report = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, tfjs: tf.version.tfjs },
    note: 'p50 latencies of whole calls; ratio.p50 = candidate / baseline (below 1: the trainer is faster than raw tf.layers)',
    comparisons: [...wasm, ...cpu],
    cpuOverWasm: { stepP50: ratio(0), epochP50: ratio(1) },
  };
  const dir = new URL('../../../bench-results/', import.meta.url);
  await mkdir(dir, { recursive: true });
  await writeFile(new URL('fl-training.json', dir), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
