/**
 * External broker mode (DESIGN.md §7, issue 9): the control plane is an MQTT 5 client (MQTT.js) of a
 * Mosquitto that devices connect to directly. Device → cp topics are shared subscriptions
 * (`$share/edgefleet-cp/…`, MQTT 5 §4.8.2), so with several replicas each device message reaches exactly
 * one of them. Device credentials and ACLs live in Mosquitto's dynamic-security plugin
 * (dynsec-credentials.ts). Mosquitto does not tell its clients who connects, so every device message is a
 * sign of life (`onDeviceSeen`), and the devices' heartbeats and last wills say the rest (devices/presence.ts);
 * MQTT.js reconnects with its own backoff and re-subscribes, and
 * `onReconnect` lets the control plane republish its retained documents (a restarted Mosquitto without
 * persistence has lost them).
 */
import { randomBytes } from 'node:crypto';
import { parseTopic } from '@edgefleet/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { ControlPlaneError } from '../errors.js';
import { createDynsecClient, DYNSEC_RESPONSE_TOPIC } from './dynsec-client.js';
import {
  grantControlPlane,
  registerDeviceCredentials,
  removeDeviceCredentials,
  SHARE_GROUP,
} from './dynsec-credentials.js';
import type { MessageBroker, MessageHandler } from './message-broker.js';
import { topicMatches } from './topic-filter.js';

export interface ExternalBrokerOptions {
  /** Where the control plane connects, e.g. `mqtt://broker.internal:1883`. */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** The URL handed to devices at enrolment (default `url`). */
  readonly deviceUrl?: string;
  readonly connectTimeoutMs?: number;
  readonly reconnectPeriodMs?: number;
  /** Dynamic-security commands not answered within this time fail with BROKER_UNAVAILABLE. */
  readonly commandTimeoutMs?: number;
}

export const EXTERNAL_DEFAULTS = Object.freeze({
  connectTimeoutMs: 5_000,
  reconnectPeriodMs: 1_000,
  commandTimeoutMs: 5_000,
});

export interface ExternalBrokerHooks {
  readonly logger: Logger;
  onDeviceSeen(deviceId: string): void;
  onReconnect(): void;
}

/** Resolves on the first CONNACK; a refused CONNACK is BROKER_REFUSED, anything else BROKER_UNAVAILABLE. */
function firstConnect(client: MqttClient, url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: ControlPlaneError) => {
      cleanup();
      client.end(true);
      reject(error);
    };
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error & { code?: unknown }) =>
      typeof error.code === 'number'
        ? fail(
            new ControlPlaneError('BROKER_REFUSED', `broker ${url} refused the control plane: ${error.message}`, {
              cause: error,
            }),
          )
        : fail(
            new ControlPlaneError('BROKER_UNAVAILABLE', `broker ${url} unreachable: ${error.message}`, {
              cause: error,
            }),
          );
    const onClose = () => fail(new ControlPlaneError('BROKER_UNAVAILABLE', `broker ${url} closed the connection`));
    const timer = setTimeout(
      () => fail(new ControlPlaneError('BROKER_UNAVAILABLE', `broker ${url} did not answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    function cleanup() {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    }
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
}

export async function startExternalBroker(
  options: ExternalBrokerOptions,
  hooks: ExternalBrokerHooks,
): Promise<MessageBroker> {
  const { logger } = hooks;
  const config = { ...EXTERNAL_DEFAULTS, ...options };
  const client = mqtt.connect(options.url, {
    protocolVersion: 5,
    clientId: `edgefleet-cp-${randomBytes(6).toString('hex')}`,
    username: options.username,
    password: options.password,
    clean: true,
    connectTimeout: config.connectTimeoutMs,
    reconnectPeriod: config.reconnectPeriodMs,
  });
  await firstConnect(client, options.url, config.connectTimeoutMs);

  const dynsec = createDynsecClient({ client, timeoutMs: config.commandTimeoutMs });
  const routes: { filter: string; handler: MessageHandler }[] = [];
  client.on('message', (topic, payload) => {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    if (topic === DYNSEC_RESPONSE_TOPIC) return dynsec.onResponse(bytes);
    const parsed = parseTopic(topic);
    // A status message says online or offline itself (a last will must not count as a sign of life).
    if (parsed !== null && parsed.kind !== 'status') hooks.onDeviceSeen(parsed.ownerId);
    for (const route of routes) if (topicMatches(route.filter, topic)) route.handler(topic, bytes);
  });
  client.on('connect', () => {
    logger.info({ url: options.url }, 'reconnected to the external broker');
    hooks.onReconnect();
  });
  client.on('offline', () => logger.warn({ url: options.url }, 'disconnected from the external broker; reconnecting'));
  client.on('error', (error) => logger.warn({ err: error, url: options.url }, 'external broker error'));

  const subscribe = async (filter: string) => {
    const granted = await client.subscribeAsync(filter, { qos: 1 });
    const refused = granted.find((g) => g.qos >= 128);
    if (refused !== undefined) {
      throw new ControlPlaneError('BROKER_REFUSED', `broker refused the subscription ${filter}`, {
        details: { filter, reasonCode: refused.qos },
      });
    }
  };
  try {
    await subscribe(DYNSEC_RESPONSE_TOPIC);
    await grantControlPlane(dynsec, {
      username: options.username,
      reconnected: () => new Promise<void>((resolve) => client.once('connect', () => resolve())),
    });
  } catch (error) {
    await client.endAsync(true);
    throw error;
  }

  const staged = () =>
    Promise.reject(
      new ControlPlaneError('INVALID_TRANSITION', 'an external broker is stopped and started by its operator'),
    );
  const url = new URL(options.deviceUrl ?? options.url);
  return {
    kind: 'external',
    deviceUrl: url.toString().replace(/\/$/, ''),
    port: Number(url.port || 1883),
    async publish(topic, payload, { qos, retain }) {
      await client.publishAsync(topic, Buffer.from(payload), { qos, retain });
    },
    async subscribe(pattern, handler) {
      routes.push({ filter: pattern, handler });
      await subscribe(`$share/${SHARE_GROUP}/${pattern}`);
    },
    // Mosquitto acknowledged the device's publish when it took it; the control plane's own acknowledgement
    // of the delivery is mqtt.js's.
    async consume(pattern, handler) {
      // A refusal is logged and counted by the ingest itself; nothing is left to do with it here.
      routes.push({
        filter: pattern,
        handler: (topic, payload) => void handler(topic, payload).catch(() => undefined),
      });
      await subscribe(`$share/${SHARE_GROUP}/${pattern}`);
    },
    registerDevice: (deviceId, password) => registerDeviceCredentials(dynsec, { deviceId, password }),
    revokeDevice: (deviceId) => removeDeviceCredentials(dynsec, deviceId),
    stop: staged,
    start: staged,
    async close() {
      await client.endAsync();
    },
  };
}
