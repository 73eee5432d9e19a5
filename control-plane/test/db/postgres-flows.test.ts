import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import { type PostgresServer, startPostgres } from '@edgefleet/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeEvalSet } from '../../src/index.js';
import { deviceClients } from '../helpers/mqtt.js';
import { type Harness, onChampion, registerVersions, startHarness } from '../rollouts/rollout-harness.js';

/**
 * The control plane on PostgreSQL (`database: { kind: 'postgres', url }`): the flows the SQLite suite covers,
 * run end to end through the same stores against a real server — a device enrols over HTTP and logs in to
 * the embedded broker (credentials checked in PostgreSQL), models are registered, a staged rollout with a
 * gate reaches every device, telemetry is stored once per (device, seq), federated jobs are listed and
 * cancelled, and the audit log and metrics read from the database.
 */
const MIN = 60_000;
let pg: PostgresServer;
let h: Harness | undefined;
const clients = deviceClients();

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterEach(async () => {
  await clients.closeAll();
  await h?.f.close();
  h = undefined;
});
afterAll(async () => {
  await pg?.stop();
});

async function harness(): Promise<Harness> {
  h = await startHarness({ database: { kind: 'postgres', url: await pg.createDatabase() } });
  return h;
}

describe('the control plane on PostgreSQL', () => {
  it('enrols a device that logs in to the broker and shows online, and keeps its telemetry once per seq', async () => {
    const { f } = await harness();
    const device = await f.enrol();
    await clients.online(device);
    await vi.waitFor(async () => {
      const detail = (await (await f.request('GET', `/v1/devices/${device.deviceId}`)).json()) as { online: boolean };
      expect(detail.online).toBe(true);
    });
    const window = {
      seq: 7,
      kind: 'inference',
      line: 'iris',
      version: 1,
      windowStartMs: 1_795_441_884_528,
      windowEndMs: 1_795_441_944_528,
      count: 10,
      errors: 0,
      latencyMs: { p50: 1, p95: 2, p99: 3, max: 4, mean: 1 },
    };
    const message = encodeCbor({ v: 1, type: 'telemetry', ts: 1, records: [window] });
    for (let i = 0; i < 2; i++) {
      await f.cp.broker.publish(deviceTopic(device.deviceId, 'telemetry'), message, { qos: 1, retain: false });
    }
    await f.cp.drain();
    expect(await f.telemetry(device.deviceId)).toMatchObject([{ seq: 7, windowStartMs: window.windowStartMs }]);
  });

  it('runs a two-wave rollout with an error-rate gate to completion on every device', async () => {
    const h = await harness();
    await registerVersions(h, 2);
    const ids = await h.enrol(4);
    await onChampion(h, ids);
    const r = await h.rollout({
      line: 'iris',
      version: 2,
      selector: { group: 'lab' },
      waves: [{ percent: 25 }, { percent: 100 }],
      gates: { errorRate: 0.05 },
      observationMs: MIN,
    });
    expect(r.waves.map((w) => w.devices.length)).toEqual([1, 3]);
    for (const wave of r.waves) {
      await h.installed(wave.devices, 2);
      for (const id of wave.devices) await h.inference(id, 2, { errors: 1, count: 100 });
      await h.advance(MIN);
    }
    const done = await h.get(r.id);
    expect(done.state).toBe('completed');
    expect(done.waves[0]?.gates[0]).toMatchObject({ gate: 'errorRate', value: 0.01, passed: true });
    for (const id of ids) expect((await h.desired(id))?.assignments).toEqual([{ line: 'iris', version: 2 }]);
    const lines = (await (await h.f.request('GET', '/v1/models')).json()) as unknown[];
    expect(lines).toEqual([{ line: 'iris', latestVersion: 2, versionCount: 2 }]);
    const audit = (await (await h.f.request('GET', '/v1/audit?limit=500')).json()) as { action: string }[];
    expect(audit.filter((e) => e.action === 'rollout.transition').length).toBeGreaterThan(3);
    const metrics = await (await h.f.request('GET', '/metrics')).text();
    expect(metrics).toMatch(/edgefleet_rollouts\{state="completed"\} 2/);
  });

  it('lists a federated job waiting on drift and cancels it', async () => {
    const { f } = await harness();
    expect((await f.registerIris({ version: 1 })).status).toBe(201);
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.2, 2.9, 4.3, 1.3],
      [7.7, 3.0, 6.1, 2.3],
    ];
    const evalSet = await f.cp.fl.uploadEvalSet(
      encodeEvalSet({ x: Float32Array.from(rows.flat()), y: Uint8Array.from([0, 1, 2]), features: 4 }),
    );
    const job = await f.cp.fl.createJob(
      {
        line: 'iris',
        selector: { group: 'lab' },
        spec: { kind: 'mlp', layers: [4, 3], activation: 'relu' },
        init: { seed: 1 },
        evalSet: evalSet.digest,
        trigger: 'drift',
        minClients: 1,
      },
      'test',
    );
    const listed = (await (await f.request('GET', '/v1/fl/jobs')).json()) as { id: string; state: string }[];
    expect(listed).toMatchObject([{ id: job.id, state: 'waiting' }]);
    expect(await f.cp.fl.cancel(job.id)).toMatchObject({ state: 'cancelled', rounds: [] });
  });
});
