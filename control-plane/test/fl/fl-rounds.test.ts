/**
 * Federated rounds end to end through the control plane's public surfaces: a real control plane (embedded
 * broker, SQLite), devices enrolled over HTTP and connected over MQTT, each driven by a scripted federated
 * client that speaks the wire protocol. Covers FedAvg arithmetic, registration with lineage, secure
 * aggregation with a dropout, bad updates refused with codes while the round goes on, quorum failures and
 * resumption after a restart.
 */

import { join } from 'node:path';
import { float32FromBytes, initialMlpWeights, type MlpSpec } from '@edgefleet/protocol';
import { irisDataset } from '@edgefleet/test-kit/models';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeEvalSet } from '../../src/index.js';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { type FlBehaviour, type ScriptedFlDevice, scriptedFlDevice } from '../helpers/fl-device.js';
import { deviceClients } from '../helpers/mqtt.js';

const SPEC: MlpSpec = { kind: 'mlp', layers: [4, 6, 3], activation: 'relu' };
const clients = deviceClients();
let fixture: Fixture | null = null;

afterEach(async () => {
  await clients.closeAll();
  await fixture?.close();
  fixture = null;
});

async function uploadIrisEvalSet(f: Fixture): Promise<string> {
  const iris = irisDataset();
  const set = { x: Float32Array.from(iris.features.flat()), y: Uint8Array.from(iris.labels), features: 4 };
  const res = await f.cp.app.request('/v1/fl/eval-sets', {
    method: 'POST',
    headers: { authorization: `Bearer ${f.cp.adminToken}`, 'content-type': 'application/cbor' },
    body: encodeEvalSet(set),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { digest: string }).digest;
}

async function fleetOf(f: Fixture, behaviours: FlBehaviour[]): Promise<{ id: string; device: ScriptedFlDevice }[]> {
  const out = [];
  for (const behaviour of behaviours) {
    const enrolled = await f.enrol({ group: 'fl' });
    const client = await clients.online(enrolled);
    out.push({ id: enrolled.deviceId, device: await scriptedFlDevice(client, enrolled.deviceId, behaviour) });
  }
  return out;
}

function jobBody(evalSet: string, overrides: Record<string, unknown> = {}) {
  return {
    line: 'fl-iris',
    selector: { group: 'fl' },
    spec: SPEC,
    init: { seed: 7 },
    evalSet,
    rounds: 1,
    fraction: 1,
    deadlineMs: 5_000,
    ...overrides,
  };
}

async function weightsOf(f: Fixture, jobId: string): Promise<Float32Array> {
  const res = await f.request('GET', `/v1/fl/jobs/${jobId}/weights`);
  return float32FromBytes(new Uint8Array(await res.arrayBuffer()));
}

describe('federated rounds', () => {
  it('averages the deltas weighted by sample count (FedAvg) and registers the result with its lineage', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    await fleetOf(fixture, [
      { mode: 'accept', sampleCount: 10, delta: (g) => new Float32Array(g.length).fill(1) },
      { mode: 'accept', sampleCount: 30, delta: (g) => new Float32Array(g.length).fill(-1) },
      { mode: 'accept', sampleCount: 60, delta: (g) => new Float32Array(g.length).fill(0.5) },
    ]);
    const created = await fixture.request('POST', '/v1/fl/jobs', { json: jobBody(evalSet, { minClients: 3 }) });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const job = await fixture.cp.fl.settled(id);
    expect(job.state).toBe('completed');
    const expected = (10 * 1 + 30 * -1 + 60 * 0.5) / 100;
    const initial = initialMlpWeights(SPEC, 7);
    const weights = await weightsOf(fixture, id);
    for (let i = 0; i < weights.length; i += 7) expect(weights[i]).toBeCloseTo((initial[i] as number) + expected, 5);
    const round = job.rounds[0];
    expect(round).toMatchObject({ state: 'completed', metrics: { participants: 3, samples: 100 } });
    const version = (await (await fixture.request('GET', '/v1/models/fl-iris/versions/1')).json()) as {
      manifest: { lineage: { source: string; training: { jobId: string; rounds: { participants: number }[] } } };
    };
    expect(job.registeredVersion).toBe(1);
    expect(version.manifest.lineage.training.jobId).toBe(id);
    expect(version.manifest.lineage.training.rounds[0]?.participants).toBe(3);
  });

  it('with secure aggregation and a client dropping after masking, recovers the survivors’ plain weighted mean', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    const deltas = [0.25, -0.5, 1.5];
    await fleetOf(fixture, [
      ...deltas.map(
        (d, i): FlBehaviour => ({
          mode: 'accept',
          sampleCount: 10 * (i + 1),
          delta: (g) => new Float32Array(g.length).fill(d),
        }),
      ),
      { mode: 'dropout' },
    ]);
    const body = jobBody(evalSet, {
      minClients: 4,
      quorum: 3,
      secureAggregation: true,
      secAggClipAbs: 2,
      acceptWindowMs: 1_000,
      deadlineMs: 3_000,
      revealWindowMs: 2_000,
    });
    const { id } = (await (await fixture.request('POST', '/v1/fl/jobs', { json: body })).json()) as { id: string };
    const job = await fixture.cp.fl.settled(id);
    expect(job.state).toBe('completed');
    expect(job.rounds[0]?.metrics).toMatchObject({ participants: 3, dropped: 1 });
    const expected = (10 * 0.25 + 20 * -0.5 + 30 * 1.5) / 60;
    const initial = initialMlpWeights(SPEC, 7);
    const weights = await weightsOf(fixture, id);
    for (let i = 0; i < weights.length; i += 5) expect(weights[i]).toBeCloseTo((initial[i] as number) + expected, 3);
  });

  it('refuses NaN and wrong-length updates and late ones with codes while the round completes', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    const fleet = await fleetOf(fixture, [
      { mode: 'accept', delta: (g) => new Float32Array(g.length).fill(Number.NaN) },
      { mode: 'accept', delta: () => new Float32Array(5) },
      { mode: 'accept' },
      { mode: 'accept' },
    ]);
    const { id } = (await (
      await fixture.request('POST', '/v1/fl/jobs', { json: jobBody(evalSet, { minClients: 4, quorum: 2 }) })
    ).json()) as { id: string };
    const job = await fixture.cp.fl.settled(id);
    expect(job.state).toBe('completed');
    expect(job.rounds[0]?.metrics).toMatchObject({ participants: 2, rejected: 2 });
    const roundId = job.rounds[0]?.id as string;
    const [outsider] = await fleetOf(fixture, [{ mode: 'decline' }]);
    await outsider?.device.sendUpdate(roundId, new Uint8Array(4), 1);
    await fleet[2]?.device.sendUpdate(roundId, new Uint8Array(4), 1);
    await fixture.cp.drain();
    const rejections = fixture.cp.metrics.snapshot().rejectionsByCode;
    expect(rejections.FL_UPDATE_INVALID).toBe(2);
    expect(rejections.FL_ROUND_CLOSED).toBeGreaterThanOrEqual(2);
  });

  it('refuses an update from a device the round did not select', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    const fleet = await fleetOf(fixture, [
      { mode: 'dropout' },
      { mode: 'dropout' },
      { mode: 'dropout' },
      { mode: 'dropout' },
    ]);
    const body = jobBody(evalSet, { minClients: 2, fraction: 0.5, deadlineMs: 1_500, retryDelayMs: 60_000 });
    const { id } = (await (await fixture.request('POST', '/v1/fl/jobs', { json: body })).json()) as { id: string };
    await expect.poll(() => fleet.filter((d) => d.device.tasks.length > 0).length).toBe(2);
    const outsider = fleet.find((d) => d.device.tasks.length === 0);
    const roundId = fleet.find((d) => d.device.tasks.length > 0)?.device.tasks[0]?.roundId as string;
    await outsider?.device.sendUpdate(roundId, new Uint8Array(4), 1);
    await fixture.cp.drain();
    expect(fixture.cp.metrics.snapshot().rejectionsByCode.FL_NOT_SELECTED).toBe(2);
    await fixture.cp.fl.cancel(id);
  });

  it('fails a round without quorum, retries, and fails the job after maxFailedRounds', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    await fleetOf(fixture, [{ mode: 'dropout' }, { mode: 'decline' }]);
    const body = jobBody(evalSet, { minClients: 2, deadlineMs: 300, retryDelayMs: 0, maxFailedRounds: 2 });
    const { id } = (await (await fixture.request('POST', '/v1/fl/jobs', { json: body })).json()) as { id: string };
    const job = await fixture.cp.fl.settled(id);
    expect(job.state).toBe('failed');
    expect(job.rounds.map((r) => [r.round, r.attempt, r.state])).toEqual([
      [1, 1, 'failed'],
      [1, 2, 'failed'],
    ]);
    expect(job.rounds[0]?.error).toMatch(/FL_QUORUM_NOT_MET/);
    expect(job.registeredVersion).toBeNull();
  });

  it('continues the open round after a control-plane restart with the updates it had acknowledged', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    const devices = await fleetOf(fixture, [
      { mode: 'accept', sampleCount: 10, delta: (g) => new Float32Array(g.length).fill(1) },
      { mode: 'accept', sampleCount: 30, delta: (g) => new Float32Array(g.length).fill(-1) },
      { mode: 'dropout' },
    ]);
    const body = jobBody(evalSet, { minClients: 3, quorum: 2, deadlineMs: 6_000, retryDelayMs: 60_000 });
    const { id } = (await (await fixture.request('POST', '/v1/fl/jobs', { json: body })).json()) as { id: string };
    // Acknowledged means stored: once both PUBACKs are in, the control plane stops with the round open.
    await expect.poll(() => devices.map((d) => d.device.submitted), { timeout: 10_000 }).toEqual([1, 1, 0]);
    await clients.closeAll();
    await fixture.close({ keepDir: true });
    fixture = await startFixture({ dataDir: fixture.dataDir });
    // No device reconnects: the round completes at its deadline from the two stored updates alone.
    const job = await fixture.cp.fl.settled(id);
    expect(job.state).toBe('completed');
    expect(job.rounds.map((r) => [r.round, r.attempt, r.state])).toEqual([[1, 1, 'completed']]);
    expect(job.rounds[0]?.metrics).toMatchObject({ participants: 2, samples: 40 });
    const expected = (10 * 1 + 30 * -1) / 40;
    const initial = initialMlpWeights(SPEC, 7);
    const weights = await weightsOf(fixture, id);
    for (let i = 0; i < weights.length; i += 7) expect(weights[i]).toBeCloseTo((initial[i] as number) + expected, 5);
  });

  // Edits the SQLite file directly to stage the crash.
  it.skipIf(process.env.EDGEFLEET_TEST_DATABASE === 'postgres')(
    'tries a round again when the control plane stopped while it was revealing or aggregating',
    async () => {
      fixture = await startFixture();
      const evalSet = await uploadIrisEvalSet(fixture);
      await fleetOf(fixture, [{ mode: 'dropout' }, { mode: 'dropout' }]);
      const body = jobBody(evalSet, { minClients: 2, deadlineMs: 60_000, retryDelayMs: 60_000 });
      const { id } = (await (await fixture.request('POST', '/v1/fl/jobs', { json: body })).json()) as { id: string };
      await expect.poll(async () => (await fixture?.cp.fl.get(id))?.rounds[0]?.state).toBe('training');
      await clients.closeAll();
      await fixture.close({ keepDir: true });
      // As if the process had died between collecting and storing the aggregate.
      const db = new Database(join(fixture.dataDir, 'edgefleet.db'));
      db.prepare("UPDATE fl_rounds SET state = 'aggregating'").run();
      db.close();
      fixture = await startFixture({ dataDir: fixture.dataDir });
      const resumed = await fixture.cp.fl.get(id);
      expect(resumed.state).toBe('running');
      expect(resumed.rounds[0]).toMatchObject({
        attempt: 1,
        state: 'failed',
        error: 'interrupted by a control-plane restart',
      });
      // The fresh attempt finds no device online yet (they reconnect later) and waits for the retry delay.
      await expect
        .poll(async () => (await fixture?.cp.fl.get(id))?.rounds.map((r) => [r.round, r.attempt]))
        .toEqual([
          [1, 1],
          [1, 2],
        ]);
      await fixture.cp.fl.cancel(id);
    },
  );

  it('rejects an invalid job with the field at fault', async () => {
    fixture = await startFixture();
    const evalSet = await uploadIrisEvalSet(fixture);
    const res = await fixture.request('POST', '/v1/fl/jobs', {
      json: jobBody(evalSet, { secureAggregation: true, strategy: { name: 'median' } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BODY_INVALID');
    expect(body.error.message).toMatch(/strategy/);
  });
});
