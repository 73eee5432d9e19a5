import type { Tensor, TensorMap } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceService } from '../../src/inference/inference-service.js';
import { f32, i64, pairFeeds, tinyService, values } from './tiny-models.js';

const temp = tempDirs();
const services: InferenceService[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  await temp.cleanup();
});

async function setup(maxElements?: number) {
  const made = await tinyService(temp, maxElements === undefined ? {} : { maxElements });
  services.push(made.service);
  return made;
}

describe('inference with named tensors', () => {
  it('answers every output of the graph, each in its own element type, when no outputs are named', async () => {
    const { service } = await setup();
    const result = await service.infer('pair', pairFeeds([1, 2, 3], 2n));
    expect(result).toMatchObject({ line: 'pair', version: 1 });
    expect(Object.keys(result.outputs).sort()).toEqual(['shifted', 'squared']);
    expect(result.outputs.shifted).toMatchObject({ type: 'float32', dims: [1, 3] });
    expect(values(result.outputs.shifted)).toEqual([3, 4, 5]);
    expect(result.outputs.squared?.data).toBeInstanceOf(BigInt64Array);
    expect(values(result.outputs.squared)).toEqual([4]);
  });

  it('returns only the outputs the caller asks for', async () => {
    const { service } = await setup();
    const result = await service.infer('pair', pairFeeds([0, 0, 0], 3n), { outputs: ['squared'] });
    expect(Object.keys(result.outputs)).toEqual(['squared']);
    expect(values(result.outputs.squared)).toEqual([9]);
  });

  it('binds a symbolic dimension per call: any batch, as long as every input agrees', async () => {
    const { service } = await setup();
    const result = await service.infer('pair', {
      x: f32([1, 1, 1, 2, 2, 2, 3, 3, 3], [3, 3]),
      offset: i64([1n, 2n, 3n], [3, 1]),
    });
    expect(values(result.outputs.shifted)).toEqual([2, 2, 2, 4, 4, 4, 6, 6, 6]);
    expect(values(result.outputs.squared)).toEqual([1, 4, 9]);
  });

  it('refuses rows for a model that does not take one float32 [N, F] input, with INPUT_INVALID', async () => {
    const { service } = await setup();
    await expect(service.predict('pair', [[1, 2, 3]])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  const int32Offset: Tensor = { type: 'int32', data: Int32Array.from([2]), dims: [1, 1] };
  const cases: Array<{
    name: string;
    code: string;
    feeds: TensorMap;
    outputs?: string[];
    maxElements?: number;
    details: Record<string, unknown>;
  }> = [
    { name: 'a missing input', code: 'INPUT_MISSING', feeds: { x: pairFeeds().x }, details: { input: 'offset' } },
    {
      name: 'an input the model does not have',
      code: 'INPUT_UNEXPECTED',
      feeds: { ...pairFeeds(), mask: f32([1], [1, 1]) },
      details: { input: 'mask' },
    },
    {
      name: 'an input of the wrong element type',
      code: 'INPUT_DTYPE',
      feeds: { ...pairFeeds(), offset: int32Offset },
      details: { input: 'offset', expected: 'int64', actual: 'int32' },
    },
    {
      name: 'an input of the wrong rank',
      code: 'INPUT_RANK',
      feeds: { ...pairFeeds(), x: f32([1, 2, 3], [3]) },
      details: { input: 'x', expected: ['batch', 3], actual: [3] },
    },
    {
      name: 'a fixed dimension of the wrong size',
      code: 'INPUT_DIM',
      feeds: { ...pairFeeds(), x: f32([1, 2, 3, 4], [1, 4]) },
      details: { input: 'x', dim: 1, expected: 3, actual: 4 },
    },
    {
      name: 'inputs that disagree on a symbolic dimension',
      code: 'INPUT_DIM',
      feeds: { x: f32([1, 2, 3, 4, 5, 6], [2, 3]), offset: i64([1n], [1, 1]) },
      details: { input: 'offset', dim: 0, expected: 2, actual: 1 },
    },
    {
      name: 'an input over maxElements',
      code: 'INPUT_TOO_LARGE',
      feeds: { x: f32([1, 2, 3, 4, 5, 6], [2, 3]), offset: i64([1n, 2n], [2, 1]) },
      maxElements: 4,
      details: { input: 'x', expected: 4, actual: 6 },
    },
    {
      name: 'an output the model does not have',
      code: 'OUTPUT_UNKNOWN',
      feeds: pairFeeds(),
      outputs: ['shifted', 'logits'],
      details: { output: 'logits' },
    },
    {
      name: 'an empty list of outputs',
      code: 'OUTPUT_UNKNOWN',
      feeds: pairFeeds(),
      outputs: [],
      details: {},
    },
  ];

  it.each(cases)('refuses $name with $code, without running the model, and keeps it active', async (c) => {
    const { service, samples } = await setup(c.maxElements);
    const call = service.infer('pair', c.feeds, c.outputs === undefined ? {} : { outputs: c.outputs });
    await expect(call).rejects.toMatchObject({ code: c.code, details: { line: 'pair', ...c.details } });
    expect(samples).toEqual([]);
    expect(service.active().find((a) => a.line === 'pair')?.version).toBe(1);
    const next = await service.infer('pair', { x: f32([1, 1, 1], [1, 3]), offset: i64([1n], [1, 1]) });
    expect(values(next.outputs.squared)).toEqual([1]);
  });
});
