/**
 * Online and offline with an external Mosquitto, which tells the control plane nothing about connections:
 * an agent's goodbye on close, a device's last will when its connection drops, and silence past
 * `offlineAfterMs` each mark the device offline; its next heartbeat marks it online again.
 */
import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { enrolRawDevice, type Fleet, type Mosquitto, startFleet, startMosquitto, waitFor } from '../src/index.js';

const status = (state: 'online' | 'offline') =>
  Buffer.from(encodeCbor({ v: 1, type: 'status', ts: Date.now(), state }));

describe('presence with an external broker', () => {
  let mosquitto: Mosquitto | undefined;
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    await mosquitto?.stop();
    fleet = undefined;
    mosquitto = undefined;
  });

  async function start(agents: number) {
    mosquitto = await startMosquitto();
    fleet = await startFleet({
      agents,
      controlPlane: { broker: { kind: 'external', url: mosquitto.url, ...mosquitto.admin }, offlineAfterMs: 1_500 },
      agent: { statusHeartbeatMs: 500 },
    });
    return fleet;
  }
  const onlineOf = async (id: string) =>
    ((await fleet!.api.get(`/v1/devices/${id}`)).body as { online: boolean }).online;

  it('an agent stays online on its heartbeats and goes offline when it closes', async () => {
    const f = await start(1);
    const agent = f.agents[0]!;
    await waitFor(() => onlineOf(agent.deviceId), { what: 'the agent online' });
    // Three timeouts long, with nothing but heartbeats.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    expect(await onlineOf(agent.deviceId)).toBe(true);
    await agent.close();
    f.agents.length = 0;
    await waitFor(async () => !(await onlineOf(agent.deviceId)), {
      what: 'offline after the goodbye',
      timeoutMs: 1_000,
    });
  });

  it("a dropped connection's last will marks the device offline at once; silence marks it offline after the timeout", async () => {
    const f = await start(0);
    const device = await enrolRawDevice(f.api, 'will-1');
    const client = await mqtt.connectAsync(device.mqtt.url, {
      clientId: device.deviceId,
      username: device.mqtt.username,
      password: device.mqtt.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
      will: { topic: deviceTopic(device.deviceId, 'status'), payload: status('offline'), qos: 1, retain: false },
    });
    await client.publishAsync(deviceTopic(device.deviceId, 'status'), status('online'), { qos: 1 });
    await waitFor(() => onlineOf(device.deviceId), { what: 'online on the first heartbeat' });
    const dropped = Date.now();
    client.stream.destroy(); // no DISCONNECT: the broker publishes the will
    await waitFor(async () => !(await onlineOf(device.deviceId)), { what: 'offline on the will', timeoutMs: 1_200 });
    expect(Date.now() - dropped).toBeLessThan(1_200);

    const silent = await mqtt.connectAsync(device.mqtt.url, {
      clientId: device.deviceId,
      username: device.mqtt.username,
      password: device.mqtt.password,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await silent.publishAsync(deviceTopic(device.deviceId, 'status'), status('online'), { qos: 1 });
    await waitFor(() => onlineOf(device.deviceId), { what: 'online again on its next heartbeat' });
    const quiet = Date.now();
    await waitFor(async () => !(await onlineOf(device.deviceId)), {
      what: 'offline after 1.5 s of silence',
      timeoutMs: 4_000,
    });
    expect(Date.now() - quiet).toBeGreaterThanOrEqual(1_000);
    await silent.endAsync();
  });
});
