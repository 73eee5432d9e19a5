import { deviceTopic } from '@edgefleet/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Fixture, startFixture } from './helpers/control-plane-fixture.js';
import { inbox, subackCodes, telemetryMessage } from './helpers/device-messages.js';
import { connectDevice, deviceClients } from './helpers/mqtt.js';

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

describe('broker authentication', () => {
  it('refuses a wrong password with CONNACK bad username or password', async () => {
    const device = await f.enrol();
    await expect(connectDevice({ url: device.mqttUrl, deviceId: device.deviceId, password: 'wrong' })).rejects.toThrow(
      /bad user ?name or password/i,
    );
    expect(f.cp.metrics.snapshot().rejectionsByCode.AUTH_REQUIRED).toBe(1);
  });

  it('refuses a client id that differs from the username, and an unknown device', async () => {
    const device = await f.enrol();
    const { mqttUrl: url, password } = device;
    const impostor = connectDevice({ url, deviceId: device.deviceId, clientId: 'dev-other', password });
    await expect(impostor).rejects.toThrow(/bad user ?name or password/i);
    const unknown = connectDevice({ url, deviceId: 'dev-nobody', password });
    await expect(unknown).rejects.toThrow(/bad user ?name or password/i);
    expect(f.cp.metrics.snapshot().rejectionsByCode.AUTH_REQUIRED).toBe(2);
  });

  it('marks a device online while connected and offline after it leaves', async () => {
    const device = await f.enrol();
    const client = await online(device);
    await vi.waitFor(async () => {
      const list = (await (await f.request('GET', '/v1/devices')).json()) as { online: boolean }[];
      expect(list[0]?.online).toBe(true);
    });
    await client.endAsync();
    await vi.waitFor(async () => {
      const list = (await (await f.request('GET', '/v1/devices')).json()) as { online: boolean }[];
      expect(list[0]?.online).toBe(false);
    });
  });
});

describe('broker ACL over TCP', () => {
  it('grants no subscription to another device’s desired state nor any wildcard (SUBACK 0x80)', async () => {
    const a = await f.enrol({ deviceId: 'dev-a' });
    await f.enrol({ deviceId: 'dev-b' });
    const client = await online(a);
    const received = inbox(client, null, (p) => p);
    const granted = await subackCodes(client, ['ef/v1/dev-b/desired', 'ef/v1/+/desired', 'ef/v1/dev-a/#']);
    expect(granted).toEqual([128, 128, 128]);
    await f.cp.broker.publish('ef/v1/dev-b/desired', new Uint8Array([1]), { qos: 1, retain: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toEqual([]);
    expect(f.cp.metrics.snapshot().rejectionsByCode.TOPIC_FORBIDDEN).toBe(3);
  });

  it('never stores what a device publishes to another device’s telemetry', async () => {
    const a = await f.enrol({ deviceId: 'dev-a' });
    await f.enrol({ deviceId: 'dev-b' });
    const client = await online(a);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(deviceTopic('dev-b', 'telemetry'), Buffer.from(telemetryMessage([1])), { qos: 1 });
    await closed; // MQTT 3.1.1 §3.3.5: the broker drops a client whose publish it refuses
    await f.cp.drain();
    expect(await f.telemetry('dev-b')).toEqual([]);
    expect(f.cp.metrics.snapshot().rejectionsByCode.TOPIC_FORBIDDEN).toBe(1);
  });
});

describe('broker outage', () => {
  it('disconnects every client on stop and accepts them again on the same port after start', async () => {
    const device = await f.enrol();
    const client = await online(device);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await f.cp.broker.stop();
    await closed;
    await expect(
      connectDevice({ url: device.mqttUrl, deviceId: device.deviceId, password: device.password }),
    ).rejects.toThrow();
    await f.cp.broker.start();
    const again = await online(device);
    expect(again.connected).toBe(true);
  });
});
