import { decodeCbor, desiredBodySchema, desiredMessageSchema, deviceTopic } from '@edgefleet/protocol';
import { describe, expect, it, vi } from 'vitest';
import { type Fixture, fixturesClosedAfterEach } from './helpers/control-plane-fixture.js';
import { createManualClock } from './helpers/manual-clock.js';
import { connectDevice } from './helpers/mqtt.js';

const start = fixturesClosedAfterEach();

async function desiredSeq(f: Fixture, deviceId: string): Promise<number | undefined> {
  const detail = (await (await f.request('GET', `/v1/devices/${deviceId}`)).json()) as {
    desired: { seq: number } | null;
  };
  return detail.desired?.seq;
}

describe('restart', () => {
  it('keeps keys, tokens, models, devices and the retained desired state across a restart on the same dataDir', async () => {
    const first = await start();
    const device = await first.enrol({ deviceId: 'dev-keep' });
    expect((await first.registerIris()).status).toBe(201);
    await first.request('POST', '/v1/rollouts', { json: { line: 'iris', version: 1, group: 'lab' } });
    const operator = (
      (await (await first.request('POST', '/v1/tokens', { json: { name: 'op', role: 'operator' } })).json()) as {
        token: string;
      }
    ).token;
    const before = { keys: first.cp.rootPublicKeysHex, admin: first.cp.adminToken };
    await first.close({ keepDir: true });

    const second = await start({ dataDir: first.dataDir });
    expect(second.cp.rootPublicKeysHex).toEqual(before.keys);
    expect(second.cp.adminToken).toBe(before.admin);
    expect((await second.request('GET', '/v1/models', { token: operator })).status).toBe(200);
    expect(await (await second.request('GET', '/v1/models')).json()).toEqual([
      { line: 'iris', latestVersion: 1, versionCount: 1 },
    ]);
    const devices = (await (await second.request('GET', '/v1/devices')).json()) as {
      deviceId: string;
      online: boolean;
    }[];
    expect(devices).toMatchObject([{ deviceId: 'dev-keep', online: false }]);

    // The broker's retained store is in memory: the control plane republishes each device's desired doc.
    const client = await connectDevice({
      url: second.cp.mqttUrl,
      deviceId: device.deviceId,
      password: device.password,
    });
    try {
      const received = new Promise<Buffer>((resolve) => client.once('message', (_t, payload) => resolve(payload)));
      await client.subscribeAsync(deviceTopic(device.deviceId, 'desired'), { qos: 1 });
      const message = decodeCbor(new Uint8Array(await received), desiredMessageSchema);
      expect(decodeCbor(message.doc.body, desiredBodySchema).seq).toBe(1);
    } finally {
      await client.endAsync(true);
    }
  });
});

describe('desired-state refresh', () => {
  it('re-signs a desired document with seq + 1 once half its TTL has passed', async () => {
    const clock = createManualClock();
    const f = await start({ clock, desiredTtlMs: 10_000, refreshIntervalMs: 1_000 });
    const device = await f.enrol();
    await f.registerIris();
    await f.request('POST', '/v1/rollouts', { json: { line: 'iris', version: 1, group: 'lab' } });
    expect(await desiredSeq(f, device.deviceId)).toBe(1);
    clock.advance(4_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await desiredSeq(f, device.deviceId)).toBe(1);
    clock.advance(1_000);
    await vi.waitFor(async () => expect(await desiredSeq(f, device.deviceId)).toBe(2));
  });
});
