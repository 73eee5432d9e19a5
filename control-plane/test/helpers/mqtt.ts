/**
 * MQTT.js clients for the broker tests: a device connecting the way the contract requires (client id =
 * username = device id, MQTT 3.1.1, no automatic reconnect so a refusal surfaces as an error).
 */
import mqtt from 'mqtt';

export type MqttClient = mqtt.MqttClient;

export function connectDevice(options: {
  url: string;
  deviceId: string;
  password: string;
  /** Defaults to the device id, as the contract requires. */
  clientId?: string;
}): Promise<MqttClient> {
  return mqtt.connectAsync(options.url, {
    clientId: options.clientId ?? options.deviceId,
    username: options.deviceId,
    password: options.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
}

export interface DeviceClients {
  /** Connects an enrolled device over MQTT; the client is closed by `closeAll`. */
  online(device: { deviceId: string; password: string; mqttUrl: string }): Promise<MqttClient>;
  closeAll(): Promise<void>;
}

/** The device connections of one test, all closed at teardown. */
export function deviceClients(): DeviceClients {
  const clients: MqttClient[] = [];
  return {
    async online(device) {
      const client = await connectDevice({ url: device.mqttUrl, deviceId: device.deviceId, password: device.password });
      clients.push(client);
      return client;
    },
    async closeAll() {
      await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    },
  };
}
