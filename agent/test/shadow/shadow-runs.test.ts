import { argmax, type ShadowWindow, shadowWindowSchema } from '@edgefleet/protocol';
import { buildIrisModels, irisDataset, mulberry32 } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { stallsOnBatches, throwsOnBatches, wrapOnnx } from './runtimes.js';
import { type Harness, rawRun, type SignedModel, startHarness, type Tuning, waitFor } from './shadow-harness.js';

const champion = buildIrisModels({ seed: 1 });
const challenger = buildIrisModels({ seed: 2 });
const rows = irisDataset().features;
const WINDOW_MS = 60_000;
/** Rows drawn uniformly over the iris feature ranges: off the training data, where the two models differ. */
const random = mulberry32(3);
const boxRows = Array.from({ length: 150 }, () => [
  4 + random() * 4,
  2 + random() * 2.5,
  1 + random() * 6,
  random() * 2.5,
]);
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** An agent serving the seed-1 iris model as v1 with the seed-2 model as v2 running in shadow. */
async function withShadow(tuning: Tuning = {}): Promise<{ h: Harness; v1: SignedModel; v2: SignedModel }> {
  const h = await startHarness(tuning);
  harness = h;
  const v1 = await h.model(1, champion.fp32);
  const v2 = await h.model(2, challenger.fp32);
  h.desired(1, [{ manifest: v1, shadow: v2 }]);
  await waitFor(() => h.reported.at(-1)?.shadows?.length === 1 && h.agent.installed().length === 1, 'shadow');
  return { h, v1, v2 };
}

async function shadowWindows(h: Harness): Promise<ShadowWindow[]> {
  await h.agent.flushTelemetry();
  return h.telemetry.filter((r) => r.kind === 'shadow').map((r) => shadowWindowSchema.parse(r));
}

const perRow = (data: Float32Array) => rows.map((_, r) => Array.from(data.subarray(r * 3, r * 3 + 3)));

describe('shadow runs', () => {
  it('answers with the champion exactly, over predict, predictTensor and HTTP', async () => {
    const { h } = await withShadow({ httpApi: { port: 0 } });
    const expected = perRow(await rawRun(champion.fp32, rows));
    const viaPredict = await h.agent.predict('iris', rows.slice(0, 50));
    expect(viaPredict.version).toBe(1);
    expect(viaPredict.outputs).toEqual(expected.slice(0, 50));
    const tensor = await h.agent.predictTensor('iris', {
      data: Float32Array.from(rows.slice(50, 100).flat()),
      shape: [50, 4],
    });
    expect(Array.from(tensor.output.data)).toEqual(expected.slice(50, 100).flat());
    const response = await fetch(`${h.agent.httpUrl}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: rows.slice(100) }),
    });
    expect(((await response.json()) as { outputs: number[][] }).outputs).toEqual(expected.slice(100));
    await waitFor(() => h.agent.stats().shadow.runs === 3, 'three shadow runs');
    expect(h.agent.stats().shadow).toEqual({ runs: 3, skipped: 0, errors: 0 });
  });

  it('reports per window the agreements an independent argmax comparison of the two models finds', async () => {
    const { h } = await withShadow();
    const a = await rawRun(champion.fp32, boxRows);
    const b = await rawRun(challenger.fp32, boxRows);
    const agreements = boxRows.filter((_, r) => argmax(a, r * 3, 3) === argmax(b, r * 3, 3)).length;
    expect(agreements).toBeLessThan(boxRows.length); // the fixture must tell agreement from disagreement
    for (let from = 0; from < boxRows.length; from += 30) {
      await h.agent.predict('iris', boxRows.slice(from, from + 30));
    }
    await waitFor(() => h.agent.stats().shadow.runs === 5, 'five shadow runs');
    h.clock.advance(WINDOW_MS); // the aligned period ends: the timer closes the window
    await h.agent.predict('iris', rows.slice(0, 2)); // the next window, closed by the flush
    await waitFor(() => h.agent.stats().shadow.runs === 6, 'sixth shadow run');
    const [first, second, ...rest] = await shadowWindows(h);
    const startMs = Math.floor((h.clock.now() - WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
    expect(first).toMatchObject({
      kind: 'shadow',
      line: 'iris',
      championVersion: 1,
      challengerVersion: 2,
      windowStartMs: startMs,
      windowEndMs: startMs + WINDOW_MS,
      rows: 150,
      agreements,
      challengerErrors: 0,
    });
    for (const summary of [first?.latencyMs.champion, first?.latencyMs.challenger]) {
      expect(summary?.p50).toBeGreaterThan(0);
      expect(summary?.max).toBeGreaterThanOrEqual(summary?.p95 ?? Number.POSITIVE_INFINITY);
    }
    expect(second).toMatchObject({ windowStartMs: startMs + WINDOW_MS, rows: 2 });
    expect(rest).toEqual([]);
  });

  it('counts a challenger that throws and never lets it reach the caller', async () => {
    const { h } = await withShadow({ runtime: wrapOnnx(challenger.fp32, throwsOnBatches) });
    const expected = perRow(await rawRun(champion.fp32, rows));
    for (const from of [0, 10, 20]) {
      expect((await h.agent.predict('iris', rows.slice(from, from + 10))).outputs).toEqual(
        expected.slice(from, from + 10),
      );
    }
    await waitFor(() => h.agent.stats().shadow.runs === 3, 'three shadow runs');
    expect(h.agent.stats().shadow).toEqual({ runs: 3, skipped: 0, errors: 3 });
    const [window] = await shadowWindows(h);
    expect(window).toMatchObject({ rows: 0, agreements: 0, challengerErrors: 3 });
  });

  it('bounds the backlog of a stalled challenger, skipping and counting, without delaying the champion', async () => {
    const stall = stallsOnBatches();
    const { h } = await withShadow({
      runtime: wrapOnnx(challenger.fp32, stall.behaviour),
      shadow: { maxQueuedPerLine: 2 },
    });
    for (let i = 0; i < 10; i++) expect((await h.agent.predict('iris', rows.slice(i, i + 2))).version).toBe(1);
    expect(h.agent.stats().shadow).toEqual({ runs: 0, skipped: 8, errors: 0 });
    stall.release();
    await waitFor(() => h.agent.stats().shadow.runs === 2, 'the two queued shadow runs');
    const [window] = await shadowWindows(h);
    expect(window?.rows).toBe(4);
  });

  it('reports its hardware profile and the running shadow in the reported state', async () => {
    const { h, v2 } = await withShadow({ hardwareProfile: 'pi4-2gb' });
    const last = h.reported.at(-1);
    expect(last?.hardware.profile).toBe('pi4-2gb');
    expect(last?.shadows).toEqual([{ line: 'iris', version: 2, digest: v2.body.digest }]);
    expect(last?.installed.map((i) => i.version)).toEqual([1]);
  });

  it("compares on the desired state's output comparison, and applies a new one without reinstalling", async () => {
    const h = await startHarness();
    harness = h;
    const v1 = await h.model(1, champion.fp32);
    const v2 = await h.model(2, challenger.fp32);
    // Probabilities lie in [0, 1]: within atol 1 every row agrees, whatever the argmax says.
    h.desired(1, [
      { manifest: v1, shadow: v2, compare: { output: 'probabilities', mode: 'tolerance', atol: 1, rtol: 0 } },
    ]);
    await waitFor(() => h.reported.at(-1)?.shadows?.length === 1 && h.agent.installed().length === 1, 'shadow');
    await h.agent.predict('iris', boxRows.slice(0, 50));
    await waitFor(() => h.agent.stats().shadow.runs === 1, 'first shadow run');
    const [loose] = await shadowWindows(h);
    expect(loose).toMatchObject({ rows: 50, agreements: 50 });
    // Exact equality: two differently trained models never give bit-identical probabilities.
    const fetches = h.fetchRequests.get(v2.body.digest);
    h.desired(2, [{ manifest: v1, shadow: v2, compare: { mode: 'tolerance', atol: 0, rtol: 0 } }]);
    await waitFor(() => h.reported.some((r) => r.desiredSeq === 2), 'second desired document');
    await h.agent.predict('iris', boxRows.slice(50, 100));
    await waitFor(() => h.agent.stats().shadow.runs === 2, 'second shadow run');
    const windows = await shadowWindows(h);
    expect(windows.at(-1)).toMatchObject({ rows: 50, agreements: 0 });
    expect(h.fetchRequests.get(v2.body.digest)).toBe(fetches); // not fetched again
  });
});
