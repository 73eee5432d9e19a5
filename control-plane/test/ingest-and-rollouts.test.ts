import {
  decodeCbor,
  desiredMessageSchema,
  deviceTopic,
  encodeCbor,
  fetchResponseSchema,
  type ManifestBody,
  pinnedRootKeys,
  sha256Hex,
  signedDocumentSchema,
  verifyDesired,
  verifyRootDocument,
} from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';
import { inbox, telemetryMessage } from './helpers/device-messages.js';
import { deviceClients } from './helpers/mqtt.js';

let f: Fixture;
const devices = deviceClients();
const online = devices.online;
beforeEach(async () => {
  f = await startFixture();
});
afterEach(async () => {
  await devices.closeAll();
  await f.close();
});

describe('ingest', () => {
  it('stores a telemetry window once even when it is delivered twice', async () => {
    const device = await f.enrol();
    const client = await online(device);
    const topic = deviceTopic(device.deviceId, 'telemetry');
    await client.publishAsync(topic, Buffer.from(telemetryMessage([1, 2])), { qos: 1 });
    await client.publishAsync(topic, Buffer.from(telemetryMessage([2])), { qos: 1 });
    await vi.waitFor(async () => expect(f.cp.metrics.snapshot().messagesByKind.telemetry).toBe(2));
    await f.cp.drain();
    expect((await f.telemetry(device.deviceId)).map((w) => w.seq)).toEqual([2, 1]);
  });

  it('counts malformed CBOR under CBOR_MALFORMED and keeps serving', async () => {
    const device = await f.enrol();
    const client = await online(device);
    const topic = deviceTopic(device.deviceId, 'telemetry');
    await client.publishAsync(topic, Buffer.from([0xa1, 0x61]), { qos: 1 });
    await client.publishAsync(topic, Buffer.from(encodeCbor({ v: 1, type: 'telemetry' })), { qos: 1 });
    await client.publishAsync(topic, Buffer.from(telemetryMessage([5])), { qos: 1 });
    await vi.waitFor(async () => expect((await f.telemetry(device.deviceId)).map((w) => w.seq)).toEqual([5]));
    const { rejectionsByCode } = f.cp.metrics.snapshot();
    expect(rejectionsByCode.CBOR_MALFORMED).toBe(1);
    expect(rejectionsByCode.SCHEMA_INVALID).toBe(1);
  });

  it('drops oversized payloads and messages for devices that were never enrolled, counted by code', async () => {
    const device = await f.enrol();
    const topic = deviceTopic(device.deviceId, 'telemetry');
    await f.cp.broker.publish(topic, new Uint8Array(300 * 1024), { qos: 1, retain: false });
    await f.cp.broker.publish(deviceTopic('dev-ghost', 'telemetry'), telemetryMessage([1]), { qos: 1, retain: false });
    await f.cp.broker.publish(topic, telemetryMessage([9]), { qos: 1, retain: false });
    await vi.waitFor(async () => expect((await f.telemetry(device.deviceId)).map((w) => w.seq)).toEqual([9]));
    const { rejectionsByCode } = f.cp.metrics.snapshot();
    expect(rejectionsByCode).toMatchObject({ MESSAGE_TOO_LARGE: 1, DEVICE_UNKNOWN: 1 });
  });
});

describe('rollouts, desired state and bundle fetch', () => {
  async function rollOutIris() {
    const registered = (await (await f.registerIris({ chunkBytes: 1024 })).json()) as { manifest: ManifestBody };
    const res = await f.request('POST', '/v1/rollouts', { json: { line: 'iris', version: 1, group: 'lab' } });
    expect(res.status).toBe(201);
    return { manifest: registered.manifest, rollout: (await res.json()) as { id: string } };
  }

  it('delivers a retained, director-signed desired document and serves the assigned bundle’s chunks', async () => {
    const device = await f.enrol();
    const { manifest, rollout } = await rollOutIris();
    const client = await online(device);
    const desired = inbox(client, deviceTopic(device.deviceId, 'desired'), (p) => decodeCbor(p, desiredMessageSchema));
    await client.subscribeAsync(deviceTopic(device.deviceId, 'desired'), { qos: 1 });
    await vi.waitFor(() => expect(desired).toHaveLength(1));

    const minted = (await (await f.request('POST', '/v1/enrolment-tokens', { json: { group: 'other' } })).json()) as {
      token: string;
    };
    const enrolled = (await (
      await f.request('POST', '/v1/enrol', { token: null, json: { token: minted.token } })
    ).json()) as {
      root: string;
    };
    const rootDoc = decodeCbor(new Uint8Array(Buffer.from(enrolled.root, 'base64')), signedDocumentSchema);
    const root = verifyRootDocument(rootDoc, pinnedRootKeys(f.cp.rootPublicKeys), Date.now());
    const verified = verifyDesired(desired[0]!.doc, root, { deviceId: device.deviceId, nowMs: Date.now() });
    expect(verified.body).toMatchObject({ seq: 1, rolloutId: rollout.id });
    expect(verified.manifests.get('iris')?.manifest.digest).toBe(manifest.digest);

    const responses = inbox(client, deviceTopic(device.deviceId, 'fetch/res'), (p) =>
      decodeCbor(p, fetchResponseSchema),
    );
    await client.subscribeAsync(deviceTopic(device.deviceId, 'fetch/res'), { qos: 1 });
    const request = { v: 1, type: 'fetch-req', ts: Date.now(), digest: manifest.digest, first: 0, count: 64 };
    await client.publishAsync(deviceTopic(device.deviceId, 'fetch/req'), Buffer.from(encodeCbor(request)), { qos: 1 });
    await vi.waitFor(() => expect(responses).toHaveLength(manifest.chunks.length));
    for (const chunk of responses) {
      if (chunk.type !== 'fetch-chunk') throw new Error('expected a chunk');
      expect(sha256Hex(chunk.bytes)).toBe(manifest.chunks[chunk.index]);
    }
    expect(f.cp.metrics.snapshot().chunksServedByDevice[device.deviceId]).toBe(manifest.chunks.length);
  });

  it('answers a fetch of a bundle not assigned to the device with one fetch-error BUNDLE_UNKNOWN', async () => {
    const { manifest } = await rollOutIris();
    const outsider = await f.enrol({ group: 'elsewhere' });
    const client = await online(outsider);
    const replies = inbox(client, null, (p) => decodeCbor(p, fetchResponseSchema));
    await client.subscribeAsync(deviceTopic(outsider.deviceId, 'fetch/res'), { qos: 1 });
    const request = { v: 1, type: 'fetch-req', ts: Date.now(), digest: manifest.digest, first: 0, count: 4 };
    await client.publishAsync(deviceTopic(outsider.deviceId, 'fetch/req'), Buffer.from(encodeCbor(request)), {
      qos: 1,
    });
    await vi.waitFor(() => expect(replies).toHaveLength(1));
    expect(replies[0]).toMatchObject({ type: 'fetch-error', error: { code: 'BUNDLE_UNKNOWN' } });
  });

  it('moves device status from reported progress and install events until the rollout completes', async () => {
    const a = await f.enrol({ deviceId: 'dev-a' });
    const b = await f.enrol({ deviceId: 'dev-b' });
    const { manifest, rollout } = await rollOutIris();
    const late = await f.enrol({ deviceId: 'dev-late' });
    const lateDetail = (await (await f.request('GET', '/v1/devices/dev-late')).json()) as { desired: unknown };
    expect(lateDetail.desired).toMatchObject({
      seq: 1,
      rolloutId: rollout.id,
      assignments: [{ line: 'iris', version: 1 }],
    });

    const hardware = { platform: 'linux', arch: 'x64', cpus: 4, memoryBytes: 1e9 };
    const reported = (install: unknown, installed: unknown[]) =>
      encodeCbor({
        v: 1,
        type: 'reported',
        ts: Date.now(),
        agentVersion: '0.1.0',
        desiredSeq: 1,
        installed,
        install,
        lastError: null,
        hardware,
        runtimes: ['onnx'],
      });
    const event = (seq: number, kind: string, extra = {}) =>
      encodeCbor({
        v: 1,
        type: 'events',
        ts: Date.now(),
        records: [{ seq, at: Date.now(), kind, line: 'iris', version: 1, ...extra }],
      });

    const ca = await online(a);
    await ca.publishAsync(
      deviceTopic('dev-a', 'reported'),
      Buffer.from(reported({ line: 'iris', version: 1, phase: 'fetching', chunksDone: 0, chunksTotal: 1 }, [])),
      { qos: 1 },
    );
    await vi.waitFor(async () => {
      const r = (await (await f.request('GET', `/v1/rollouts/${rollout.id}`)).json()) as {
        counts: Record<string, number>;
      };
      expect(r.counts).toEqual({ pending: 2, installing: 1, installed: 0, failed: 0 });
    });
    await ca.publishAsync(deviceTopic('dev-a', 'events'), Buffer.from(event(1, 'install-completed')), { qos: 1 });
    const cb = await online(b);
    await cb.publishAsync(
      deviceTopic('dev-b', 'events'),
      Buffer.from(event(1, 'install-failed', { error: { code: 'SELF_TEST_FAILED', message: 'bad output' } })),
      { qos: 1 },
    );
    const cl = await online(late);
    const installedEntry = { line: 'iris', version: 1, digest: manifest.digest, installedAt: Date.now() };
    await cl.publishAsync(deviceTopic('dev-late', 'reported'), Buffer.from(reported(null, [installedEntry])), {
      qos: 1,
    });

    await vi.waitFor(async () => {
      const r = (await (await f.request('GET', `/v1/rollouts/${rollout.id}`)).json()) as {
        state: string;
        devices: unknown[];
      };
      expect(r.state).toBe('failed');
      expect(r.devices).toEqual([
        { deviceId: 'dev-a', status: 'installed' },
        { deviceId: 'dev-b', status: 'failed', error: 'bad output' },
        { deviceId: 'dev-late', status: 'installed' },
      ]);
    });
    const list = (await (await f.request('GET', '/v1/devices')).json()) as { deviceId: string; installed: unknown[] }[];
    expect(list.find((d) => d.deviceId === 'dev-late')?.installed).toEqual([{ line: 'iris', version: 1 }]);
    const events = (await (await f.request('GET', '/v1/devices/dev-b/events')).json()) as { kind: string }[];
    expect(events.map((e) => e.kind)).toEqual(['install-failed']);
  });
});
