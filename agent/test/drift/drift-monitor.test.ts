import { driftWindowSchema, eventRecordSchema, SketchAccumulator } from '@edgefleet/protocol';
import { irisDataset } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriftAlarmNotice } from '../../src/drift/drift-monitor.js';
import { type OfflineAgent, startOfflineAgent } from './offline-agent.js';
import { gaussian, seededRandom } from './streams.js';

const WINDOW_MS = 60_000;
const rows = irisDataset().features;
let running: OfflineAgent | undefined;

afterEach(async () => {
  await running?.cleanup();
  running = undefined;
});

async function start(options: Parameters<typeof startOfflineAgent>[0] = {}): Promise<OfflineAgent> {
  running = await startOfflineAgent(options);
  return running;
}

/** `count` iris rows drawn with replacement; from `shiftAt` on, petal features get N(0, 1.5²) noise. */
function irisStream(seed: number, count: number, shiftAt = Number.POSITIVE_INFINITY): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const row = [...(rows[Math.floor(random() * rows.length)] as number[])];
    if (i >= shiftAt) for (const f of [2, 3]) row[f] = (row[f] as number) + gaussian(random, 0, 1.5);
    return row;
  });
}

const driftRecords = (entries: Array<{ record: Record<string, unknown> }>) =>
  entries.filter((e) => e.record.kind === 'drift').map((e) => driftWindowSchema.parse(e.record));

describe('on-device drift monitor', () => {
  it('emits, per aligned window, exactly the sketch a SketchAccumulator computes from the same rows', async () => {
    const { agent, clock, profile, closeAndReadOutbox } = await start();
    const expected = new SketchAccumulator(profile!);
    const batches = [rows.slice(0, 7), rows.slice(7, 40), rows.slice(40, 41)];
    for (const batch of batches) {
      const prediction = await agent.predict('iris', batch);
      expected.addRows(Float32Array.from(batch.flat()), Float32Array.from(prediction.outputs.flat()), batch.length);
    }
    clock.advance(WINDOW_MS); // the window's aligned period ends: the timer closes it
    await agent.predict('iris', rows.slice(41, 43)); // the next window
    const { telemetry } = await closeAndReadOutbox();
    const [first, second, ...rest] = driftRecords(telemetry);
    const startMs = Math.floor(clock.now() / WINDOW_MS) * WINDOW_MS - WINDOW_MS;
    expect(first).toEqual({
      seq: first?.seq,
      kind: 'drift',
      ...expected.snapshot({ line: 'iris', version: 1, windowStartMs: startMs, windowEndMs: startMs + WINDOW_MS }),
    });
    expect(first?.count).toBe(41);
    expect(second?.count).toBe(2); // closed by agent.close()
    expect(rest).toEqual([]);
  });

  it('closes a window after windowRows rows, splitting a batch exactly, and on flushTelemetry', async () => {
    const { agent, closeAndReadOutbox } = await start({ tuning: { drift: { windowRows: 50 } } });
    await agent.predict('iris', rows.slice(0, 120));
    await agent.flushTelemetry();
    const { telemetry } = await closeAndReadOutbox();
    const records = driftRecords(telemetry);
    expect(records.map((r) => r.count)).toEqual([50, 50, 20]);
    expect(records.every((r) => r.features.every((f) => f.bins.reduce((a, b) => a + b, 0) === r.count))).toBe(true);
  });

  it('sends no drift records for a model whose manifest has no profile', async () => {
    const { agent, closeAndReadOutbox } = await start({ withProfile: false });
    await agent.predict('iris', rows.slice(0, 30));
    await agent.flushTelemetry();
    const { telemetry } = await closeAndReadOutbox();
    expect(driftRecords(telemetry)).toEqual([]);
    expect(telemetry.map((e) => e.record.kind)).toEqual(['inference']);
  });

  it('raises no drift alarm on an unshifted stream of iris rows', async () => {
    const { agent, closeAndReadOutbox } = await start();
    for (const row of irisStream(1, 3000)) await agent.predict('iris', [row]);
    expect(agent.stats().driftAlarms).toBe(0);
    const { events } = await closeAndReadOutbox();
    expect(events.filter((e) => e.record.kind === 'drift-alarm')).toEqual([]);
  });

  it('queues a drift-alarm event at once, while offline, when the input distribution shifts', async () => {
    const { agent, closeAndReadOutbox } = await start();
    const alarms: DriftAlarmNotice[] = [];
    agent.events.on('drift-alarm', (alarm) => alarms.push(alarm));
    for (const row of irisStream(2, 3000, 1500)) await agent.predict('iris', [row]);
    expect(agent.connectionState).not.toBe('online');
    expect(alarms.length).toBeGreaterThan(0);
    expect(agent.stats().driftAlarms).toBe(alarms.length);
    const first = alarms[0]!;
    expect(first).toMatchObject({ line: 'iris', version: 1, drift: { signal: 'confidence' } });
    expect(first.drift.samples).toBeGreaterThan(1500);
    expect(agent.stats().outbox.pending).toBeGreaterThanOrEqual(alarms.length);
    const { events } = await closeAndReadOutbox();
    const queued = events.filter((e) => e.record.kind === 'drift-alarm').map((e) => eventRecordSchema.parse(e.record));
    expect(queued.map((e) => e.drift)).toEqual(alarms.map((a) => a.drift));
  });

  describe('label feedback', () => {
    async function post(url: string, body: unknown) {
      const res = await fetch(`${url}/v1/models/iris/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('accepts predicted/label pairs with 202 and rejects malformed bodies with 400 INPUT_INVALID', async () => {
      const { agent } = await start({ tuning: { httpApi: { port: 0 } } });
      const url = agent.httpUrl!;
      expect(await post(url, { predicted: [0, 1, 2], labels: [0, 2, 2] })).toEqual({
        status: 202,
        body: { accepted: 3 },
      });
      for (const bad of [
        { predicted: [0, 1], labels: [0] },
        { predicted: [0.5], labels: [0] },
        { predicted: [-1], labels: [0] },
        { predicted: [], labels: [] },
        { predicted: new Array(1025).fill(0), labels: new Array(1025).fill(0) },
        { labels: [0] },
        'not json',
      ]) {
        const res = await post(url, bad);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: { code: 'INPUT_INVALID' } });
      }
      const unknown = await fetch(`${url}/v1/models/nope/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ predicted: [0], labels: [0] }),
      });
      expect(unknown.status).toBe(503);
      expect(agent.stats().driftAlarms).toBe(0);
    });

    it('raises an error-signal alarm when the fed-back error rate jumps', async () => {
      const { agent } = await start({ tuning: { drift: { signal: 'error' } } });
      const alarms: DriftAlarmNotice[] = [];
      agent.events.on('drift-alarm', (alarm) => alarms.push(alarm));
      const random = seededRandom(9);
      const batch = (errorRate: number) => {
        const labels = Array.from({ length: 100 }, () => Math.floor(random() * 3));
        const predicted = labels.map((l) => (random() < errorRate ? (l + 1) % 3 : l));
        return { predicted, labels };
      };
      for (let i = 0; i < 10; i++) expect(agent.feedback('iris', batch(0.05))).toEqual({ accepted: 100 });
      expect(alarms).toEqual([]);
      for (let i = 0; i < 5; i++) agent.feedback('iris', batch(0.5));
      expect(alarms.length).toBeGreaterThan(0);
      expect(alarms[0]?.drift).toMatchObject({ signal: 'error' });
      expect(alarms[0]?.drift.samples).toBeGreaterThan(1000);
      // 'error' mode: predictions do not feed the confidence detectors at all
      expect(alarms.every((a) => a.drift.signal === 'error')).toBe(true);
    });
  });
});
