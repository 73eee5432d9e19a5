/**
 * The embedded broker's bounds, attacked from outside: an unauthenticated client announcing a huge CONNECT,
 * an enrolled device publishing 100 MiB, a client that never sends CONNECT, one that sends something else
 * first, connection floods from one address and over the connection cap. Each is cut off at the first bytes,
 * counted in the metrics, and the HTTP API keeps answering.
 */
import { connect } from 'node:net';
import { deviceTopic } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAs,
  connectPacket,
  enrolRawDevice,
  type Fleet,
  flood,
  packetHeader,
  startFleet,
  startMosquitto,
  waitFor,
} from '../src/index.js';

const MiB = 1024 * 1024;

function portOf(fleet: Fleet): number {
  return Number(new URL(fleet.cp.mqttUrl).port);
}

function rejections(fleet: Fleet, code: string): number {
  return fleet.cp.metrics.snapshot().rejectionsByCode[code] ?? 0;
}

/** RSS after a full garbage collection when the runner exposes it. */
function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

describe('embedded broker bounds', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('cuts off 4 unauthenticated clients announcing 200 MiB CONNECTs at their first bytes; HTTP keeps answering', async () => {
    fleet = await startFleet({ agents: 0 });
    const before = rss();
    const http = (async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await fleet!.api.get('/v1/devices')).status);
      return statuses;
    })();
    const results = await Promise.all(
      [0, 1, 2, 3].map(() => flood(portOf(fleet!), { header: packetHeader(1, 200 * MiB), bodyBytes: 200 * MiB })),
    );
    const grewMiB = (rss() - before) / MiB;
    for (const r of results) {
      expect(r.closedByBroker).toBe(true);
      expect(r.sentBytes).toBeLessThan(64 * MiB);
    }
    expect(grewMiB).toBeLessThan(20);
    expect(await http).toEqual(Array(20).fill(200));
    expect(rejections(fleet, 'MESSAGE_TOO_LARGE')).toBe(4);
    const metrics = await fetch(`${fleet.cp.httpUrl}/metrics`, {
      headers: { authorization: `Bearer ${fleet.cp.adminToken}` },
    });
    expect(await metrics.text()).toMatch(/code="MESSAGE_TOO_LARGE"[^\n]* 4/);
  });

  it('refuses a 100 MiB publish by an enrolled device before buffering it', async () => {
    fleet = await startFleet({ agents: 0 });
    const device = await enrolRawDevice(fleet.api, 'big-talker');
    const before = rss();
    const result = await flood(portOf(fleet), {
      authenticate: connectPacket(device.deviceId, device.mqtt.username, device.mqtt.password),
      header: Buffer.concat([packetHeader(3, 100 * MiB), Buffer.from([0, 3]), Buffer.from('a/b')]),
      bodyBytes: 100 * MiB,
    });
    expect(result.closedByBroker).toBe(true);
    expect(result.sentBytes).toBeLessThan(32 * MiB);
    expect((rss() - before) / MiB).toBeLessThan(20);
    expect(rejections(fleet, 'MESSAGE_TOO_LARGE')).toBe(1);
    // The device is not banned: a well-formed session still works.
    const again = await flood(portOf(fleet), {
      authenticate: connectPacket(device.deviceId, device.mqtt.username, device.mqtt.password),
      header: Buffer.from([0xc0, 0]), // PINGREQ
      bodyBytes: 0,
    });
    expect(again.closedByBroker).toBe(false);
  });

  it('closes a connection whose first packet is not a CONNECT, and one that never sends it', async () => {
    fleet = await startFleet({
      agents: 0,
      controlPlane: { broker: { kind: 'embedded', limits: { connectTimeoutMs: 300 } } },
    });
    const notConnect = await flood(portOf(fleet), { header: packetHeader(3, 10), bodyBytes: 10 });
    expect(notConnect.closedByBroker).toBe(true);
    expect(rejections(fleet, 'MQTT_PROTOCOL_INVALID')).toBe(1);

    const silent = connect(portOf(fleet), '127.0.0.1');
    const closedAt = await new Promise<number>((resolve) => {
      const opened = Date.now();
      silent.on('error', () => {});
      silent.once('close', () => resolve(Date.now() - opened));
    });
    expect(closedAt).toBeGreaterThanOrEqual(250);
    expect(closedAt).toBeLessThan(5_000);
    await waitFor(() => rejections(fleet!, 'CONNECT_TIMEOUT') === 1, {
      timeoutMs: 2_000,
      what: 'connect timeout counted',
    });
  });

  it('bounds connections per address and in total', async () => {
    fleet = await startFleet({
      agents: 0,
      controlPlane: {
        broker: {
          kind: 'embedded',
          limits: { connectBurstPerAddress: 5, connectsPerSecondPerAddress: 0.001, maxConnections: 100 },
        },
      },
    });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => flood(portOf(fleet!), { header: Buffer.alloc(0), bodyBytes: 0 })),
    );
    expect(results.filter((r) => r.closedByBroker)).toHaveLength(3);
    expect(rejections(fleet, 'RATE_LIMITED')).toBe(3);
  });

  it('drops connections over the cap and counts them', async () => {
    fleet = await startFleet({
      agents: 0,
      controlPlane: { broker: { kind: 'embedded', limits: { maxConnections: 2 } } },
    });
    const sockets = Array.from({ length: 4 }, () => {
      const s = connect(portOf(fleet!), '127.0.0.1');
      s.on('error', () => {});
      return s;
    });
    await waitFor(() => rejections(fleet!, 'CONNECTION_LIMIT') === 2, { timeoutMs: 3_000, what: 'drops counted' });
    for (const s of sockets) s.destroy();
  });

  it('holds a device to its publish quota: over the burst it waits, far over it is cut off', async () => {
    fleet = await startFleet({
      agents: 0,
      controlPlane: {
        broker: {
          kind: 'embedded',
          limits: { publish: { messagesPerSecond: 10, messageBurst: 5, maxDelayMs: 350 } },
        },
      },
    });
    const device = await enrolRawDevice(fleet.api, 'chatty');
    const client = await connectAs(device);
    const topic = deviceTopic(device.deviceId, 'events');
    const started = Date.now();
    for (let i = 0; i < 8; i++) await client.publishAsync(topic, Buffer.from('x'), { qos: 1 });
    // 5 at once, then one every 100 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(rejections(fleet, 'RATE_LIMITED')).toBe(0);
    // Eight more at once: the last ones would wait more than 350 ms, so the broker closes the session.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    for (let i = 0; i < 8; i++) client.publish(topic, Buffer.from('x'), { qos: 1 });
    await closed;
    expect(rejections(fleet, 'RATE_LIMITED')).toBe(1);
    client.end(true);
  });

  it('Mosquitto with the generated bounds also cuts off a 200 MiB CONNECT', async () => {
    const mosquitto = await startMosquitto();
    try {
      const result = await flood(Number(new URL(mosquitto.url).port), {
        header: packetHeader(1, 200 * MiB),
        bodyBytes: 200 * MiB,
      });
      expect(result.closedByBroker).toBe(true);
      expect(result.sentBytes).toBeLessThan(64 * MiB);
    } finally {
      await mosquitto.stop();
    }
  });
});
