import type { MlpSpec } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createMlpTrainer, type MlpTrainer, type TrainOptions } from '../../src/index.js';
import { blobs } from './mlp-reference.js';

const spec: MlpSpec = { kind: 'mlp', layers: [3, 8, 4], activation: 'relu' };

describe('MLP trainer boundaries', () => {
  const trainers: MlpTrainer[] = [];
  async function trainer(): Promise<MlpTrainer> {
    const created = await createMlpTrainer({ spec });
    trainers.push(created);
    return created;
  }
  afterEach(() => {
    for (const t of trainers.splice(0)) t.dispose();
  });
  function valid(t: MlpTrainer): TrainOptions {
    return {
      weights: t.initialWeights(1),
      ...blobs({ n: 20, features: 3, classes: 4, seed: 1 }),
      epochs: 1,
      batchSize: 5,
      lr: 0.1,
      seed: 1,
    };
  }

  // First in the file: the wasm runtime initialises once per process (each test file runs in its own fork).
  it('leaves the process error listeners it found (the wasm runtime adds its own)', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const t = await trainer();
    await t.train(valid(t));
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });

  it('refuses a spec that is not a valid MLP', async () => {
    await expect(createMlpTrainer({ spec: { ...spec, layers: [3] } })).rejects.toMatchObject({
      code: 'FL_TASK_INVALID',
    });
  });

  it.each<[string, (o: TrainOptions) => Partial<TrainOptions>]>([
    ['weights of the wrong length', (o) => ({ weights: o.weights.subarray(1) })],
    ['a non-finite weight', (o) => ({ weights: o.weights.map((w, i) => (i === 4 ? Number.NaN : w)) })],
    ['features that are not n × inputs', (o) => ({ x: o.x.subarray(3) })],
    ['an infinite feature', (o) => ({ x: o.x.map((v, i) => (i === 0 ? Number.POSITIVE_INFINITY : v)) })],
    ['a label outside the classes', (o) => ({ y: Uint8Array.from(o.y, (v, i) => (i === 7 ? 4 : v)) })],
    ['a negative label', () => ({ y: new Int32Array(20).fill(-1) })],
    ['no samples', () => ({ x: new Float32Array(0), y: new Uint8Array(0) })],
    ['zero epochs', () => ({ epochs: 0 })],
    ['a fractional batch size', () => ({ batchSize: 2.5 })],
    ['a negative learning rate', () => ({ lr: -0.1 })],
    ['a negative μ', () => ({ mu: -1 })],
    ['a μ so strong that lr·μ ≥ 2 makes SGD diverge', () => ({ lr: 0.5, mu: 4 })],
  ])('rejects %s, counts it and keeps working', async (_name, change) => {
    const t = await trainer();
    const good = valid(t);
    await expect(t.train({ ...good, ...change(good) })).rejects.toMatchObject({ code: 'FL_TASK_INVALID' });
    expect(t.stats().rejected).toEqual({ FL_TASK_INVALID: 1 });
    await expect(t.train(good)).resolves.toMatchObject({ steps: 4 });
    expect(t.stats()).toMatchObject({ trainings: 1, steps: 4 });
  });

  it('rejects evaluation data that does not match the spec', async () => {
    const t = await trainer();
    const { weights, x, y } = valid(t);
    await expect(t.evaluate({ weights, x: x.subarray(1), y })).rejects.toMatchObject({ code: 'FL_TASK_INVALID' });
  });

  it('takes one full-batch step per epoch when the batch size is 0 or covers the data (FedSGD)', async () => {
    const t = await trainer();
    await expect(t.train({ ...valid(t), epochs: 3, batchSize: 0 })).resolves.toMatchObject({ steps: 3 });
    await expect(t.train({ ...valid(t), epochs: 2, batchSize: 500 })).resolves.toMatchObject({ steps: 2 });
    await expect(t.train({ ...valid(t), epochs: 1, batchSize: 6 })).resolves.toMatchObject({ steps: 4 });
  });

  it('leaves no tensor behind after training, evaluating and rejecting', async () => {
    const t = await trainer();
    const good = valid(t);
    await t.train(good);
    const baseline = t.stats().liveTensors;
    for (let i = 0; i < 3; i++) {
      await t.train({ ...good, mu: 0.5, seed: i });
      await t.evaluate(good);
      await t.train({ ...good, weights: new Float32Array(3) }).catch(() => undefined);
    }
    expect(t.stats().liveTensors).toBe(baseline);
    expect(baseline).toBe(0);
  });

  it('lets the event loop run while it trains', async () => {
    const t = await createMlpTrainer({ spec, yieldEveryMs: 0 });
    trainers.push(t);
    let turns = 0;
    let state: 'training' | 'done' = 'training';
    const tick = (): void => {
      turns += 1;
      if (state === 'training') setImmediate(tick);
    };
    setImmediate(tick);
    const result = await t.train({ ...valid(t), epochs: 10 });
    state = 'done';
    expect(turns).toBeGreaterThanOrEqual(result.steps / 2);
  });

  it('refuses work once disposed', async () => {
    const t = await trainer();
    t.dispose();
    await expect(t.train(valid(t))).rejects.toMatchObject({ code: 'INVALID_TRANSITION' });
  });
});
