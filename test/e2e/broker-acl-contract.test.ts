/**
 * The broker ACL contract (DESIGN.md §2), run against both brokers: the embedded aedes broker and an
 * external Mosquitto whose dynamic-security entries the control plane wrote at enrolment. A compromised
 * device's credentials can neither read another device's desired state or telemetry, nor publish as
 * another device, nor impersonate the control plane; wildcards, `$share` and `$SYS` are refused.
 */
import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import type mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAs,
  type DeviceCredentials,
  enrolRawDevice,
  type Fleet,
  type Mosquitto,
  publishOnce,
  startFleet,
  startMosquitto,
  subscribeCode,
  waitFor,
} from '../src/index.js';

const BROKERS = ['embedded', 'mosquitto'] as const;

describe.each(BROKERS)('broker ACL contract (%s)', (kind) => {
  let mosquitto: Mosquitto | undefined;
  let fleet: Fleet;
  let a: DeviceCredentials;
  let b: DeviceCredentials;
  const clients: mqtt.MqttClient[] = [];

  beforeAll(async () => {
    mosquitto = kind === 'mosquitto' ? await startMosquitto() : undefined;
    fleet = await startFleet({
      controlPlane:
        mosquitto === undefined ? {} : { broker: { kind: 'external', url: mosquitto.url, ...mosquitto.admin } },
    });
    a = await enrolRawDevice(fleet.api, 'acl-a');
    b = await enrolRawDevice(fleet.api, 'acl-b');
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    await fleet?.close();
    await mosquitto?.stop();
  });

  const telemetry = () => encodeCbor({ v: 1, type: 'telemetry', ts: Date.now(), records: [] });

  it('hands devices the broker URL at enrolment and accepts their credentials', async () => {
    expect(a.mqtt.url).toBe(mosquitto?.url ?? fleet.cp.mqttUrl);
    const client = await connectAs(a);
    clients.push(client);
    expect(await subscribeCode(client, deviceTopic(a.deviceId, 'desired'))).toBe(1);
    expect(await subscribeCode(client, deviceTopic(a.deviceId, 'fetch/res'))).toBe(1);
  });

  it('refuses a wrong password and an unknown device', async () => {
    await expect(connectAs(a, 'wrong')).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(
      connectAs({ deviceId: 'nobody', mqtt: { ...a.mqtt, username: 'nobody', password: 'x' } }),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it("refuses subscriptions to another device's topics, wildcards, $share and $SYS", async () => {
    const client = await connectAs(a);
    clients.push(client);
    const forbidden = [
      deviceTopic(b.deviceId, 'desired'),
      deviceTopic(b.deviceId, 'telemetry'),
      deviceTopic(a.deviceId, 'telemetry'), // its own device → cp topic: that is the control plane's to read
      'ef/v1/+/desired',
      'ef/v1/+/telemetry',
      `ef/v1/${a.deviceId}/#`,
      'ef/v1/#',
      '#',
      `$share/g/${deviceTopic(b.deviceId, 'desired')}`,
      '$share/edgefleet-cp/ef/v1/+/telemetry',
      '$SYS/#',
    ];
    for (const filter of forbidden) expect(await subscribeCode(client, filter), filter).toBe(0x80);
  });

  it('never delivers a publish as another device or as the control plane', async () => {
    const watchB = await connectAs(b);
    const watchA = await connectAs(a);
    clients.push(watchB, watchA);
    const leaked: string[] = [];
    for (const watcher of [watchA, watchB]) watcher.on('message', (topic) => leaked.push(topic));
    await watchB.subscribeAsync(deviceTopic(b.deviceId, 'desired'), { qos: 1 });
    await watchB.subscribeAsync(deviceTopic(b.deviceId, 'fl/task'), { qos: 1 });
    await watchA.subscribeAsync(deviceTopic(a.deviceId, 'desired'), { qos: 1 });
    const before = fleet.cp.metrics.snapshot().messagesByKind.telemetry ?? 0;

    const forged = [
      { topic: deviceTopic(b.deviceId, 'telemetry'), payload: telemetry() }, // as device B
      { topic: deviceTopic(b.deviceId, 'desired'), payload: telemetry(), retain: true }, // as the control plane
      { topic: deviceTopic(a.deviceId, 'desired'), payload: telemetry(), retain: true }, // to itself, as the cp
      { topic: deviceTopic(b.deviceId, 'fl/task'), payload: telemetry() },
      { topic: 'ef/v1/other/telemetry', payload: telemetry() },
      { topic: '$SYS/forged', payload: telemetry() },
    ];
    for (const message of forged) await publishOnce(a, message);
    // The sentinel: A's own telemetry, published after every forgery, is the only one the control plane sees.
    expect(await publishOnce(a, { topic: deviceTopic(a.deviceId, 'telemetry'), payload: telemetry() })).toBe('acked');
    await waitFor(() => (fleet.cp.metrics.snapshot().messagesByKind.telemetry ?? 0) > before, {
      what: 'the sentinel telemetry to arrive',
    });
    await fleet.cp.drain();
    expect(fleet.cp.metrics.snapshot().messagesByKind.telemetry).toBe(before + 1);
    expect(leaked).toEqual([]);

    // Nothing forged was retained either: a fresh subscriber of B's desired gets nothing.
    const late = await connectAs(b);
    clients.push(late);
    const retained: string[] = [];
    late.on('message', (topic) => retained.push(topic));
    await late.subscribeAsync(deviceTopic(b.deviceId, 'desired'), { qos: 1 });
    expect(await publishOnce(a, { topic: deviceTopic(a.deviceId, 'telemetry'), payload: telemetry() })).toBe('acked');
    await waitFor(() => (fleet.cp.metrics.snapshot().messagesByKind.telemetry ?? 0) > before + 1, {
      what: 'the second sentinel',
    });
    expect(retained).toEqual([]);
  });
});
