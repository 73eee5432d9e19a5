/**
 * A raw MQTT 3.1.1 client with a device's credentials (what a compromised device can do with them), for the
 * broker ACL contract suite: enrol a device through the public API without running an agent, connect as it,
 * and publish once on a fresh connection, reporting whether the broker acknowledged the publish (Mosquitto
 * drops a refused publish silently, MQTT 3.1.1 has no negative PUBACK) or closed the connection (aedes).
 */
import mqtt from 'mqtt';
import { type ApiClient, expectStatus } from './api-client.js';
import { enrolmentToken } from './fleet.js';

export interface DeviceCredentials {
  readonly deviceId: string;
  readonly mqtt: { readonly url: string; readonly username: string; readonly password: string };
}

export async function enrolRawDevice(api: ApiClient, deviceId: string): Promise<DeviceCredentials> {
  const token = await enrolmentToken(api, { group: 'lab' });
  return expectStatus(await api.post<DeviceCredentials>('/v1/enrol', { token, deviceId }), 201, 'enrol');
}

export function connectAs(device: DeviceCredentials, password = device.mqtt.password): Promise<mqtt.MqttClient> {
  const client = mqtt.connect(device.mqtt.url, {
    clientId: device.deviceId,
    username: device.mqtt.username,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  // A listener for the client's whole life: MQTT.js may still emit an error (a late connack timeout on a
  // loaded machine) after the attempt has been settled, and an unheard 'error' would crash the process.
  let failed: Error | null = null;
  client.on('error', (error) => {
    failed ??= error;
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('close', () => {
      client.end(true);
      reject(failed ?? new Error(`${device.deviceId}: connection closed before CONNACK`));
    });
  });
}

/** Publishes once (QoS 1) on a fresh connection; 'acked' or 'closed' by the broker. */
export async function publishOnce(
  device: DeviceCredentials,
  message: { topic: string; payload: Uint8Array; retain?: boolean },
): Promise<'acked' | 'closed'> {
  const client = await connectAs(device);
  try {
    return await new Promise<'acked' | 'closed'>((resolve) => {
      client.once('close', () => resolve('closed'));
      client.publish(
        message.topic,
        Buffer.from(message.payload),
        { qos: 1, retain: message.retain ?? false },
        (error) => resolve(error === undefined || error === null ? 'acked' : 'closed'),
      );
    });
  } finally {
    await client.endAsync(true);
  }
}

/** The SUBACK return code for one filter (0x80 = refused, MQTT 3.1.1 §3.9.3). */
export async function subscribeCode(client: mqtt.MqttClient, filter: string): Promise<number> {
  return client.subscribeAsync(filter, { qos: 1 }).then(
    (granted) => granted[0]?.qos ?? -1,
    (error: { packet?: { granted?: number[] } }) => error.packet?.granted?.[0] ?? -1,
  );
}
