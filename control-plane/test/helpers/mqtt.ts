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
