import { describe, expect, it } from 'vitest';
import { createInferenceService, type LatencySample } from '../../src/inference/inference-service.js';
import { clock, entry, gatedModel, instantModel } from './fixtures.js';

const ROW = [5.1, 3.5, 1.4, 0.2];

describe('inference service', () => {
  it('answers with the active model of the line', async () => {
    const service = createInferenceService({ clock });
    service.activate('iris', entry(2, await instantModel(2)));
    const prediction = await service.predict('iris', [ROW, [1, 1, 1, 1]]);
    expect(prediction).toMatchObject({ line: 'iris', version: 2 });
    expect(prediction.outputs).toHaveLength(2);
    expect(prediction.outputs[0]?.[0]).toBeCloseTo(10.2 * 2, 4);
    expect(prediction.outputs[1]).toEqual([8, 2, -2]);
    expect(prediction.latencyMs).toBeGreaterThanOrEqual(0);
    expect(service.active()).toEqual([
      { line: 'iris', version: 2, digest: entry(2, await instantModel(2)).digest, activatedAt: expect.any(Number) },
    ]);
    await service.close();
  });

  it('rejects a line without a model with NO_MODEL', async () => {
    const service = createInferenceService({ clock });
    await expect(service.predict('iris', [ROW])).rejects.toMatchObject({ code: 'NO_MODEL' });
  });

  it.each([
    ['no rows', []],
    ['a row of the wrong width', [ROW, [1, 2, 3]]],
    ['a NaN', [[1, 2, Number.NaN, 4]]],
    ['an infinity', [[1, 2, Number.POSITIVE_INFINITY, 4]]],
    ['a string disguised as a number', [[1, 2, '3', 4]]],
    ['more than 1024 rows', Array.from({ length: 1025 }, () => ROW)],
  ])('rejects %s with INPUT_INVALID without running the model', async (_name, rows) => {
    const samples: LatencySample[] = [];
    const service = createInferenceService({ clock, onLatency: (s) => samples.push(s) });
    service.activate('iris', entry(1, await instantModel(1)));
    await expect(service.predict('iris', rows as number[][])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(samples).toEqual([]);
  });

  it('accepts exactly 1024 rows', async () => {
    const service = createInferenceService({ clock });
    service.activate('iris', entry(1, await instantModel(1)));
    const prediction = await service.predict(
      'iris',
      Array.from({ length: 1024 }, () => ROW),
    );
    expect(prediction.outputs).toHaveLength(1024);
  });

  it('lets in-flight predictions finish on the old model and closes it only afterwards', async () => {
    const service = createInferenceService({ clock });
    const old = await gatedModel(1);
    service.activate('iris', entry(1, old));
    const inFlight = [service.predict('iris', [ROW]), service.predict('iris', [ROW])];

    const replaced = service.activate('iris', entry(2, await instantModel(2)));
    expect(replaced?.version).toBe(1);
    expect(replaced?.inFlight()).toBe(2);
    const retired = replaced!.retire();

    // New calls go to version 2 at once, while version 1 is still busy.
    expect((await service.predict('iris', [ROW])).version).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(old.closed()).toBe(false);

    old.openGate();
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.version)).toEqual([1, 1]);
    await retired;
    expect(old.closed()).toBe(true);
    await service.close();
  });

  it('closes a replaced idle model at once on retire', async () => {
    const service = createInferenceService({ clock });
    const old = await gatedModel(1);
    service.activate('iris', entry(1, old));
    await service.activate('iris', entry(2, await instantModel(2)))?.retire();
    expect(old.closed()).toBe(true);
  });

  it('reports a latency sample per call, successful or failed', async () => {
    const samples: LatencySample[] = [];
    const service = createInferenceService({ clock, onLatency: (s) => samples.push(s) });
    service.activate('iris', entry(3, await instantModel(3)));
    service.activate('broken', entry(1, await instantModel(1, true)));
    await service.predict('iris', [ROW]);
    await expect(service.predict('broken', [ROW])).rejects.toThrow('engine exploded');
    expect(samples).toEqual([
      { line: 'iris', version: 3, latencyMs: expect.any(Number), ok: true },
      { line: 'broken', version: 1, latencyMs: expect.any(Number), ok: false },
    ]);
    expect(samples.every((s) => s.latencyMs >= 0)).toBe(true);
  });

  it('on close waits for running predictions, closes every model, then refuses new calls', async () => {
    const service = createInferenceService({ clock });
    const model = await gatedModel(1);
    service.activate('iris', entry(1, model));
    const running = service.predict('iris', [ROW]);
    const closing = service.close();
    expect(model.closed()).toBe(false);
    model.openGate();
    expect((await running).version).toBe(1);
    await closing;
    expect(model.closed()).toBe(true);
    await expect(service.predict('iris', [ROW])).rejects.toMatchObject({ code: 'NO_MODEL' });
  });
});
