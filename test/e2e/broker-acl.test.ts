import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet, waitFor } from '../src/index.js';

interface Credentials {
  deviceId: string;
  mqtt: { url: string; username: string; password: string };
}

async function credentialsOf(fleet: Fleet, index: number): Promise<Credentials> {
  return JSON.parse(await readFile(join(fleet.dir, `agent-${index}`, 'credentials.json'), 'utf8')) as Credentials;
}

describe('broker authentication and topic ACLs', () => {
  let fleet: Fleet | undefined;
  const clients: mqtt.MqttClient[] = [];
  afterEach(async () => {
    await Promise.allSettled(clients.map((c) => c.endAsync(true)));
    clients.length = 0;
    await fleet?.close();
    fleet = undefined;
  });

  it('refuses bad credentials', async () => {
    fleet = await startFleet({ agents: 1 });
    const a = await credentialsOf(fleet, 0);
    await expect(
      mqtt.connectAsync(fleet.cp.mqttUrl, {
        username: a.deviceId,
        password: 'wrong',
        reconnectPeriod: 0,
        clientId: a.deviceId,
      }),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
    await expect(
      mqtt.connectAsync(fleet.cp.mqttUrl, {
        username: 'nobody',
        password: 'x',
        reconnectPeriod: 0,
        clientId: 'nobody',
      }),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
  });

  it("does not let device A read device B's desired state, use wildcards, or publish as B", async () => {
    fleet = await startFleet({ agents: 2 });
    const a = await credentialsOf(fleet, 0);
    const b = await credentialsOf(fleet, 1);
    // Stop agent A so the probe can take its identity (same client id) without a session takeover fight.
    await fleet.agents.shift()!.close();
    const asA = await mqtt.connectAsync(fleet.cp.mqttUrl, {
      clientId: a.deviceId,
      username: a.mqtt.username,
      password: a.mqtt.password,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    clients.push(asA);
    const received: string[] = [];
    asA.on('message', (topic) => received.push(topic));

    for (const topic of [deviceTopic(b.deviceId, 'desired'), 'ef/v1/+/desired', 'ef/v1/#', '#']) {
      // MQTT 3.1.1 §3.9.3: return code 0x80 = failure; MQTT.js turns it into a rejected subscribe
      const refusal = await asA.subscribeAsync(topic, { qos: 1 }).then(
        () => null,
        (error: { packet?: { granted?: number[] } }) => error.packet?.granted,
      );
      expect(refusal, topic).toEqual([128]);
    }
    // its own desired topic works (retained doc may or may not exist yet; the grant is what matters)
    expect((await asA.subscribeAsync(deviceTopic(a.deviceId, 'desired'), { qos: 1 }))[0]?.qos).toBe(1);

    const forged = encodeCbor({ v: 1, type: 'telemetry', ts: Date.now(), records: [] });
    asA.publish(deviceTopic(b.deviceId, 'telemetry'), Buffer.from(forged), { qos: 0 });
    asA.publish(deviceTopic(b.deviceId, 'desired'), Buffer.from(forged), { qos: 0, retain: true });
    await waitFor(() => (fleet!.cp.metrics.snapshot().rejectionsByCode.TOPIC_FORBIDDEN ?? 0) >= 2, {
      what: 'the broker to refuse both publishes',
    });
    expect(received.filter((t) => t.includes(b.deviceId))).toEqual([]);
  });
});
