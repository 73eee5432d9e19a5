import { type MlpSpec, mlpLayout, mlpParameterCount } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlpTrainer, type MlpTrainer, type TrainingBackend } from '../../src/index.js';
import { blobs, referenceLoss } from './mlp-reference.js';

const tanhSpec: MlpSpec = { kind: 'mlp', layers: [3, 5, 4], activation: 'tanh' };
const reluSpec: MlpSpec = { kind: 'mlp', layers: [3, 6, 5, 4], activation: 'relu' };

describe('MLP trainer', () => {
  const trainers: MlpTrainer[] = [];
  async function trainer(spec: MlpSpec, backend: TrainingBackend = 'wasm'): Promise<MlpTrainer> {
    const created = await createMlpTrainer({ spec, backend, fallbackToCpu: false });
    trainers.push(created);
    return created;
  }
  afterEach(() => {
    for (const t of trainers.splice(0)) t.dispose();
  });

  it('draws Glorot-uniform kernels and zero biases, the same for the same seed', async () => {
    const t = await trainer(reluSpec);
    const weights = t.initialWeights(7);
    expect(weights).toHaveLength(mlpParameterCount(reluSpec));
    expect(t.initialWeights(7)).toEqual(weights);
    expect(t.initialWeights(8)).not.toEqual(weights);
    for (const slice of mlpLayout(reluSpec)) {
      const values = Array.from(weights.subarray(slice.offset, slice.offset + slice.length));
      if (slice.shape.length === 1) {
        expect(values.every((v) => v === 0)).toBe(true);
      } else {
        const limit = Math.sqrt(6 / ((slice.shape[0] as number) + (slice.shape[1] as number)));
        expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(limit);
        expect(new Set(values).size).toBe(values.length);
      }
    }
  });

  it.each([
    ['tanh', tanhSpec],
    ['relu', reluSpec],
  ])('scores weights in the protocol layout exactly like a plain forward pass (%s)', async (_name, spec) => {
    const t = await trainer(spec);
    const data = blobs({ n: 24, features: 3, classes: 4, seed: 5 });
    const weights = t.initialWeights(3).map((w, i) => w + ((i % 7) - 3) / 50);
    const score = await t.evaluate({ weights, ...data });
    const reference = referenceLoss(spec, weights, data);
    expect(score.loss).toBeCloseTo(reference.loss, 5);
    expect(score.accuracy).toBe(reference.accuracy);
  });

  it.each([
    ['tanh', tanhSpec],
    ['relu', reluSpec],
  ])('steps along the negative loss gradient (%s, checked by finite differences)', async (_name, spec) => {
    const t = await trainer(spec);
    const data = blobs({ n: 16, features: 3, classes: 4, seed: 9 });
    const weights = t.initialWeights(11).map((w, i) => w + ((i % 5) - 2) / 40);
    const lr = 1e-3;
    const { weights: after, steps } = await t.train({ weights, ...data, epochs: 1, batchSize: 0, lr, seed: 1 });
    expect(steps).toBe(1);
    const epsilon = 1e-2;
    for (let i = 0; i < weights.length; i += 3) {
      const plus = Float32Array.from(weights);
      const minus = Float32Array.from(weights);
      plus[i] = (plus[i] as number) + epsilon;
      minus[i] = (minus[i] as number) - epsilon;
      const numeric = (referenceLoss(spec, plus, data).loss - referenceLoss(spec, minus, data).loss) / (2 * epsilon);
      const taken = ((weights[i] as number) - (after[i] as number)) / lr;
      expect(taken).toBeCloseTo(numeric, 2);
    }
  });

  it('learns a separable problem with minibatch SGD', async () => {
    const t = await trainer(reluSpec);
    const data = blobs({ n: 120, features: 3, classes: 4, seed: 2 });
    const initial = t.initialWeights(1);
    const before = await t.evaluate({ weights: initial, ...data });
    const trained = await t.train({ weights: initial, ...data, epochs: 20, batchSize: 10, lr: 0.1, seed: 4 });
    expect(trained.steps).toBe(20 * 12);
    const after = await t.evaluate({ weights: trained.weights, ...data });
    expect(after.loss).toBeLessThan(before.loss / 4);
    expect(after.accuracy).toBeGreaterThan(0.95);
    expect(trained.loss).toBeLessThan(before.loss / 4);
  });

  it('reproduces a run bit for bit from its seed, and shuffles differently for another seed', async () => {
    const t = await trainer(reluSpec);
    const data = blobs({ n: 40, features: 3, classes: 4, seed: 3 });
    const options = { weights: t.initialWeights(2), ...data, epochs: 2, batchSize: 8, lr: 0.05 };
    const a = await t.train({ ...options, seed: 10 });
    const b = await t.train({ ...options, seed: 10 });
    const c = await t.train({ ...options, seed: 11 });
    expect(b.weights).toEqual(a.weights);
    expect(c.weights).not.toEqual(a.weights);
  });

  it('trains the same model on the cpu backend as on wasm, up to float rounding', async () => {
    const data = blobs({ n: 40, features: 3, classes: 4, seed: 6 });
    const [wasm, cpu] = [await trainer(reluSpec, 'wasm'), await trainer(reluSpec, 'cpu')];
    expect([wasm.backend, cpu.backend]).toEqual(['wasm', 'cpu']);
    const options = { weights: wasm.initialWeights(4), ...data, epochs: 3, batchSize: 10, lr: 0.1, seed: 8 };
    const [a, b] = await Promise.all([wasm.train(options), cpu.train(options)]);
    const largestGap = Math.max(...a.weights.map((w, i) => Math.abs(w - (b.weights[i] as number))));
    expect(largestGap).toBeLessThan(1e-4);
  });

  it('keeps weights near the global model under a strong FedProx term', async () => {
    const t = await trainer(reluSpec);
    const data = blobs({ n: 60, features: 3, classes: 4, seed: 12 });
    const global = t.initialWeights(5);
    const options = { weights: global, ...data, epochs: 10, batchSize: 10, lr: 0.1, seed: 3 };
    const distance = (w: Float32Array) => Math.hypot(...w.map((v, i) => v - (global[i] as number)));
    const plain = distance((await t.train(options)).weights);
    const proximal = distance((await t.train({ ...options, mu: 10 })).weights);
    const weak = distance((await t.train({ ...options, mu: 0.01 })).weights);
    expect(proximal).toBeLessThan(plain / 5);
    expect(weak).toBeGreaterThan(plain * 0.9);
  });
});
