import { describe, expect, it } from 'vitest';
import { createInferenceService, type LatencySample } from '../../src/inference/inference-service.js';
import { clock, entry, instantModel } from './fixtures.js';

const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [1, 1, 1, 1],
];

describe('inference service typed fast path', () => {
  it('returns the same numbers as the rows API, as one [N, C] tensor, and records telemetry', async () => {
    const samples: LatencySample[] = [];
    const service = createInferenceService({ clock, onLatency: (s) => samples.push(s) });
    service.activate('iris', entry(3, await instantModel(3)));
    const viaRows = await service.predict('iris', ROWS);
    const viaTensor = await service.predictTensor('iris', { data: Float32Array.from(ROWS.flat()), shape: [2, 4] });
    expect(viaTensor).toMatchObject({ line: 'iris', version: 3 });
    expect(viaTensor.output.shape).toEqual([2, 3]);
    expect(Array.from(viaTensor.output.data)).toEqual(viaRows.outputs.flat());
    expect(samples.map((s) => s.ok)).toEqual([true, true]);
    await service.close();
  });

  it.each([
    ['a plain array instead of a Float32Array', { data: [1, 2, 3, 4], shape: [1, 4] }],
    ['a shape that is not [rows, features]', { data: new Float32Array(4), shape: [4] }],
    ['a data length that does not match the shape', { data: new Float32Array(5), shape: [1, 4] }],
    ['the wrong feature count', { data: new Float32Array(6), shape: [2, 3] }],
    ['zero rows', { data: new Float32Array(0), shape: [0, 4] }],
    ['a NaN', { data: Float32Array.from([1, Number.NaN, 3, 4]), shape: [1, 4] }],
    ['more than 1024 rows', { data: new Float32Array(1025 * 4), shape: [1025, 4] }],
  ])('rejects %s with INPUT_INVALID without running the model', async (_name, input) => {
    const samples: LatencySample[] = [];
    const service = createInferenceService({ clock, onLatency: (s) => samples.push(s) });
    service.activate('iris', entry(1, await instantModel(1)));
    await expect(service.predictTensor('iris', input as never)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(samples).toEqual([]);
    await service.close();
  });

  it('rejects a line without a model with NO_MODEL', async () => {
    const service = createInferenceService({ clock });
    await expect(service.predictTensor('iris', { data: new Float32Array(4), shape: [1, 4] })).rejects.toMatchObject({
      code: 'NO_MODEL',
    });
  });
});
