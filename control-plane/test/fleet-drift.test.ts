/**
 * Fleet drift end to end inside the control plane: a reference profile signed into the manifest at
 * registration, drift windows ingested over real MQTT (stored once, bad ones refused and counted by code),
 * cohort merges equal to the sketch of the concatenated rows, and the drift HTTP API. When alerts are
 * raised (closed cohort windows only) is specified in fleet-drift-alerts.test.ts.
 */
import {
  type DriftSketch,
  decodeCbor,
  deviceTopic,
  encodeCbor,
  manifestBodySchema,
  type ReferenceProfile,
  referenceProfileSchema,
  signedDocumentSchema,
} from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareToProfile } from '../src/index.js';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';
import { driftTelemetry, IRIS_ROWS, registerIrisWithReference, sketchOf } from './helpers/drift-sketches.js';
import { deviceClients } from './helpers/mqtt.js';

let f: Fixture;
const devices = deviceClients();
beforeEach(async () => {
  f = await startFixture();
});
afterEach(async () => {
  await devices.closeAll();
  await f.close();
});

/** An aligned cohort window start a few minutes ago. */
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;

async function registered(): Promise<ReferenceProfile> {
  const { status, body } = await registerIrisWithReference(f);
  expect(status).toBe(201);
  return body.manifest.profile!;
}

async function device(options: { group?: string; tags?: string[] } = {}) {
  const enrolled = await f.enrol(options);
  const client = await devices.online(enrolled);
  const publish = async (payload: Uint8Array, kind: 'telemetry' | 'events' = 'telemetry') =>
    client.publishAsync(deviceTopic(enrolled.deviceId, kind), Buffer.from(payload), { qos: 1 });
  return { deviceId: enrolled.deviceId, publish };
}

async function settled(messages: number) {
  await vi.waitFor(() => expect(f.cp.metrics.snapshot().messagesByKind.telemetry ?? 0).toBe(messages));
  await f.cp.drain();
}

async function driftApi(path: string) {
  const res = await f.request('GET', path);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { windows: { rows: number }[] } };
}

describe('reference profile at registration', () => {
  it('signs a profile computed from the reference rows into the manifest', async () => {
    const profile = await registered();
    expect(referenceProfileSchema.parse(profile)).toEqual(profile);
    expect(profile.sampleCount).toBe(150);
    expect(profile.features.map((x) => x.name)).toEqual([
      'sepal_length_cm',
      'sepal_width_cm',
      'petal_length_cm',
      'petal_width_cm',
    ]);
    // Iris has 50 flowers per class and the model classifies most of them right.
    expect(profile.output.counts.reduce((a, b) => a + b, 0)).toBe(150);
    expect(Math.min(...profile.output.counts)).toBeGreaterThan(40);
    const served = (await (await f.request('GET', '/v1/models/iris/versions/1')).json()) as { signedManifest: string };
    const signed = decodeCbor(new Uint8Array(Buffer.from(served.signedManifest, 'base64')), signedDocumentSchema);
    expect(decodeCbor(signed.body, manifestBodySchema).profile).toEqual(profile);
  });

  it('refuses a malformed reference with 400 BODY_INVALID naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ rows: [[1, 2, 3]] }, /reference\.rows\.0/],
      [{ rows: [] }, /reference\.rows/],
      [{ rows: IRIS_ROWS, featureNames: ['a'] }, /reference\.featureNames/],
      [{ rows: IRIS_ROWS, categorical: [7] }, /reference\.categorical/],
      ['{not json', /reference/],
    ];
    for (const [reference, field] of cases) {
      const { status, body } = await registerIrisWithReference(f, { reference });
      expect(status).toBe(400);
      const { error } = body as unknown as { error: { code: string; message: string } };
      expect(error.code).toBe('BODY_INVALID');
      expect(error.message).toMatch(field);
    }
  });
});

describe('drift window ingest over MQTT', () => {
  it('stores a valid window once and refuses bad ones by code without losing the rest of the batch', async () => {
    const profile = await registered();
    const d = await device();
    const valid = { ...(await sketchOf(profile, IRIS_ROWS.slice(0, 60), { windowStartMs: T0 })), seq: 1 };
    const wrongBins: DriftSketch = structuredClone(valid);
    wrongBins.features[0]!.bins.push(0);
    const unknownVersion = { ...valid, version: 9 };
    await d.publish(driftTelemetry([valid, { ...wrongBins, seq: 2 }, { ...unknownVersion, seq: 3 }]));
    await d.publish(driftTelemetry([valid])); // redelivery
    const negative = { ...valid, seq: 4, count: -1, kind: 'drift' };
    await d.publish(encodeCbor({ v: 1, type: 'telemetry', ts: Date.now(), records: [negative] }));
    await settled(3);
    expect(f.cp.metrics.snapshot().rejectionsByCode).toMatchObject({
      SKETCH_INVALID: 1,
      MODEL_VERSION_UNKNOWN: 1,
      SCHEMA_INVALID: 1,
    });
    const { body } = await driftApi('/v1/drift/iris/1');
    expect(body.windows).toHaveLength(1);
    expect(body.windows[0]).toMatchObject({ windowStartMs: T0, rows: 60, devices: 1 });
  });

  it('refuses windows for a version registered without a profile', async () => {
    await f.registerIris({ line: 'plain' });
    const profile = await registered();
    const d = await device();
    const sketch = await sketchOf(profile, IRIS_ROWS, { line: 'plain', windowStartMs: T0 });
    await d.publish(driftTelemetry([{ ...sketch, seq: 1 }]));
    await settled(1);
    expect(f.cp.metrics.snapshot().rejectionsByCode.MODEL_VERSION_UNKNOWN).toBe(1);
    expect((await driftApi('/v1/drift/plain/1')).status).toBe(404);
  });
});

describe('cohort drift', () => {
  it('merges the windows of several devices into the judgement of their concatenated rows', async () => {
    const profile = await registered();
    const parts = [IRIS_ROWS.slice(0, 40), IRIS_ROWS.slice(40, 95), IRIS_ROWS.slice(95)];
    let messages = 0;
    for (const [i, rows] of parts.entries()) {
      const d = await device({ group: 'lab', tags: ['eu'] });
      // Device windows start at different moments of the same aligned minute.
      await d.publish(
        driftTelemetry([{ ...(await sketchOf(profile, rows, { windowStartMs: T0 + i * 1000 })), seq: 1 }]),
      );
      messages++;
    }
    await settled(messages);
    const expected = compareToProfile(profile, await sketchOf(profile, IRIS_ROWS, { windowStartMs: T0 }));
    for (const cohort of ['all', 'group:lab', 'tag:eu']) {
      const result = await f.cp.drift.evaluate({ line: 'iris', version: 1, cohort });
      expect(result).toMatchObject({ cohort, rows: 150, devices: 3, windows: 3, level: 'ok' });
      expect(result.features).toEqual(expected.features);
      expect(result.output).toEqual(expected.output);
    }
    expect(await f.cp.drift.evaluate({ line: 'iris', version: 1, cohort: 'group:other' })).toMatchObject({
      rows: 0,
      level: 'insufficient',
    });
    await expect(f.cp.drift.evaluate({ line: 'iris', version: 1, cohort: 'team:x' })).rejects.toThrow(/cohort/);
  });
});

describe('drift HTTP API', () => {
  it('answers 404 for an unknown version, 400 for a bad cohort, and requires a token', async () => {
    await registered();
    const unknown = await f.request('GET', '/v1/drift/iris/7');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('MODEL_VERSION_UNKNOWN');
    const badCohort = await f.request('GET', '/v1/drift/iris/1?cohort=fleet');
    expect(badCohort.status).toBe(400);
    expect(((await badCohort.json()) as { error: { code: string } }).error.code).toBe('BODY_INVALID');
    expect((await f.request('GET', '/v1/drift/alerts', { token: null })).status).toBe(401);
  });

  it('lists the drift alarms devices raised themselves', async () => {
    await registered();
    const d = await device();
    const alarm = { detector: 'adwin', signal: 'confidence', estimate: 0.61, samples: 512 };
    const record = { seq: 1, at: Date.now(), kind: 'drift-alarm', line: 'iris', version: 1, drift: alarm };
    await d.publish(encodeCbor({ v: 1, type: 'events', ts: Date.now(), records: [record] }), 'events');
    await vi.waitFor(() => expect(f.cp.metrics.snapshot().messagesByKind.events).toBe(1));
    await f.cp.drain();
    const { body } = await driftApi('/v1/drift/alerts?limit=10');
    expect(body.alerts).toEqual([]);
    expect(body.deviceAlarms).toEqual([expect.objectContaining({ deviceId: d.deviceId, line: 'iris', drift: alarm })]);
  });
});
