/**
 * When fleet drift alerts are decided: only on complete cohort windows. Windows ingested over real MQTT into
 * a cohort window that is still open raise nothing; once the window has closed (windowMs + graceMs after its
 * start, on the injectable clock) the judge timer alerts the drifted cohort once and the clean one never. A
 * window arriving after its cohort window closed is judged at once.
 */
import { deviceTopic, type ReferenceProfile } from '@edgefleet/protocol';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareToProfile, DRIFT_DEFAULTS, type DriftAlert, encodeEvalSet } from '../src/index.js';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';
import { driftTelemetry, IRIS_ROWS, registerIrisWithReference, shifted, sketchOf } from './helpers/drift-sketches.js';
import { createManualClock, type ManualClock } from './helpers/manual-clock.js';
import { connectDevice, type MqttClient } from './helpers/mqtt.js';

/** An aligned cohort window start; the clock starts half-way through that window. */
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const { windowMs, graceMs, judgeIntervalMs } = DRIFT_DEFAULTS;
/** The moment the cohort window starting at `start` closes. */
const closesAt = (start: number) => start + windowMs + graceMs;

let f: Fixture;
let clock: ManualClock;
let alerts: DriftAlert[];
let errorLogs: string[];
let telemetryMessages: number;
const clients: MqttClient[] = [];

beforeEach(async () => {
  clock = createManualClock(T0 + 30_000);
  errorLogs = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLogs.push(line) });
  f = await startFixture({ clock, logger });
  alerts = [];
  f.cp.drift.on('alert', (alert) => alerts.push(alert));
  telemetryMessages = 0;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  await f.close();
});

async function registered(): Promise<ReferenceProfile> {
  const { status, body } = await registerIrisWithReference(f);
  expect(status).toBe(201);
  return body.manifest.profile!;
}

/** A device of `group` that publishes one drift window of `rows` per call and waits until it is processed. */
async function device(group: string) {
  const enrolled = await f.enrol({ group });
  const client = await connectDevice({
    url: enrolled.mqttUrl,
    deviceId: enrolled.deviceId,
    password: enrolled.password,
  });
  clients.push(client);
  let seq = 0;
  return async (profile: ReferenceProfile, rows: number[][], windowStartMs: number) => {
    const sketch = await sketchOf(profile, rows, { windowStartMs });
    const payload = driftTelemetry([{ ...sketch, seq: ++seq }]);
    await client.publishAsync(deviceTopic(enrolled.deviceId, 'telemetry'), Buffer.from(payload), { qos: 1 });
    const expected = ++telemetryMessages;
    await vi.waitFor(() => expect(f.cp.metrics.snapshot().messagesByKind.telemetry ?? 0).toBe(expected));
    await f.cp.drain();
  };
}

type Publish = Awaited<ReturnType<typeof device>>;

/** Every other row: iris is sorted by species, so each half stays representative of the reference. */
const halves = (rows: number[][]) => [0, 1].map((parity) => rows.filter((_, r) => r % 2 === parity));

/**
 * Moves the clock and gives the judge one macrotask turn — enough on SQLite, whose statements settle as
 * microtasks; on PostgreSQL (test:pg) alerts arrive later, so positive expectations wait for them.
 */
const advanceTo = async (ms: number) => {
  clock.advance(ms - clock.now());
  await new Promise((resolve) => setImmediate(resolve));
};

describe('fleet drift alerts on closed cohort windows', () => {
  it('alerts the drifted cohort once per window after it closes, and never the clean cohort', async () => {
    const profile = await registered();
    const publishers = new Map<string, Publish[]>();
    for (const group of ['lab', 'drifted']) publishers.set(group, [await device(group), await device(group)]);
    const rowsOf = { lab: IRIS_ROWS, drifted: shifted(IRIS_ROWS, 1.5) };
    const publishWindow = async (start: number) => {
      for (const [group, rows] of Object.entries(rowsOf)) {
        for (const [i, half] of halves(rows).entries()) await publishers.get(group)![i]!(profile, half, start + i);
      }
    };

    await publishWindow(T0);
    expect(alerts).toEqual([]);
    await advanceTo(closesAt(T0) - 1);
    expect(alerts).toEqual([]);
    await advanceTo(closesAt(T0) + judgeIntervalMs);
    // `all` holds the drifted half of the fleet too; group:lab never alerts.
    await vi.waitFor(() =>
      expect(alerts.map((a) => [a.cohort, a.windowStartMs])).toEqual([
        ['all', T0],
        ['group:drifted', T0],
      ]),
    );
    // Judged on the complete window: both devices' rows.
    expect(alerts[1]!.window).toMatchObject({ level: 'alert', datasetDrift: true, rows: 150, devices: 2 });

    await publishWindow(T0 + windowMs);
    await advanceTo(closesAt(T0 + windowMs) + judgeIntervalMs);
    await advanceTo(closesAt(T0 + 5 * windowMs));
    await vi.waitFor(() =>
      expect(alerts.map((a) => [a.cohort, a.windowStartMs])).toEqual([
        ['all', T0],
        ['group:drifted', T0],
        ['all', T0 + windowMs],
        ['group:drifted', T0 + windowMs],
      ]),
    );
    expect((await f.cp.drift.evaluate({ line: 'iris', version: 1, cohort: 'group:lab' })).level).toBe('ok');

    const res = await f.request('GET', '/v1/drift/iris/1?cohort=group:drifted&limit=5');
    const history = (await res.json()) as { thresholds: unknown; windows: unknown[] };
    expect(history).toMatchObject({ line: 'iris', version: 1, cohort: 'group:drifted' });
    expect(history.thresholds).toMatchObject({ psiWarn: 0.1, psiAlert: 0.25, jsDrift: 0.1, ksAlpha: 0.05 });
    const windows = history.windows as { windowStartMs: number; level: string; features: unknown[] }[];
    expect(windows.map((w) => [w.windowStartMs, w.level])).toEqual([
      [T0 + windowMs, 'alert'],
      [T0, 'alert'],
    ]);
    expect(windows[0]!.features).toHaveLength(4);
    const stored = (await (await f.request('GET', '/v1/drift/alerts?line=iris')).json()) as {
      alerts: { cohort: string }[];
    };
    expect(stored.alerts.filter((a) => a.cohort === 'group:drifted')).toHaveLength(2);
    expect(stored.alerts.some((a) => a.cohort === 'group:lab')).toBe(false);
  });

  it('does not alert on a partial window of a clean cohort that looks drifted on its own', async () => {
    const profile = await registered();
    const first = IRIS_ROWS.slice(0, 60); // mostly one species: drifted against the whole reference
    expect(compareToProfile(profile, await sketchOf(profile, first, { windowStartMs: T0 })).level).toBe('alert');
    await (await device('lab'))(profile, first, T0);
    await advanceTo(closesAt(T0) - 1);
    expect(alerts).toEqual([]);
    await (await device('lab'))(profile, IRIS_ROWS.slice(60), T0 + 5_000);
    await advanceTo(closesAt(T0 + 3 * windowMs));
    expect(alerts).toEqual([]);
    expect(await f.cp.drift.evaluate({ line: 'iris', version: 1, cohort: 'group:lab' })).toMatchObject({
      level: 'ok',
      rows: 150,
      devices: 2,
    });
  });

  it('judges a window that arrives after its cohort window closed at once, and alerts it only once', async () => {
    const profile = await registered();
    await advanceTo(closesAt(T0) + 1_000);
    const [late, later] = halves(shifted(IRIS_ROWS, 1.5));
    await (await device('drifted'))(profile, late!, T0);
    await vi.waitFor(() =>
      expect(alerts.map((a) => [a.cohort, a.windowStartMs, a.window.rows])).toEqual([
        ['all', T0, 75],
        ['group:drifted', T0, 75],
      ]),
    );
    await (await device('drifted'))(profile, later!, T0);
    await advanceTo(closesAt(T0 + 3 * windowMs));
    expect(alerts).toHaveLength(2);
    await (await device('lab'))(profile, IRIS_ROWS, T0 + windowMs);
    expect(alerts).toHaveLength(2);
  });

  it('starts a federated job waiting on drift when its line alerts, and not before', async () => {
    const profile = await registered();
    const iris = { x: Float32Array.from(IRIS_ROWS.flat()), y: new Uint8Array(IRIS_ROWS.length), features: 4 };
    const evalSet = await f.cp.fl.uploadEvalSet(encodeEvalSet(iris));
    const spec = { kind: 'mlp', layers: [4, 3], activation: 'relu' };
    const job = await f.cp.fl.createJob(
      {
        line: 'iris',
        selector: { group: 'drifted' },
        spec,
        init: { seed: 1 },
        evalSet: evalSet.digest,
        trigger: 'drift',
        minClients: 1,
      },
      'test',
    );
    expect(job.state).toBe('waiting');
    await (await device('lab'))(profile, IRIS_ROWS, T0);
    await advanceTo(closesAt(T0) + judgeIntervalMs);
    expect((await f.cp.fl.get(job.id)).state).toBe('waiting');
    await (await device('drifted'))(profile, shifted(IRIS_ROWS, 1.5), T0 + windowMs);
    await advanceTo(closesAt(T0 + windowMs) + judgeIntervalMs);
    await vi.waitFor(() => expect(alerts.some((a) => a.cohort === 'group:drifted')).toBe(true));
    await vi.waitFor(async () => expect((await f.cp.fl.get(job.id)).rounds).toHaveLength(1));
    expect(await f.cp.fl.get(job.id)).toMatchObject({ state: 'running', rounds: [{ round: 1, state: 'training' }] });
    await f.cp.fl.cancel(job.id);
  });

  it('stops judging when the control plane closes', async () => {
    const profile = await registered();
    await (await device('drifted'))(profile, shifted(IRIS_ROWS, 1.5), T0);
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await f.cp.close();
    // A timer still armed would now judge the pending window against the closed database.
    await advanceTo(closesAt(T0) + 10 * judgeIntervalMs);
    expect(alerts).toEqual([]);
    expect(errorLogs).toEqual([]);
  });
});
