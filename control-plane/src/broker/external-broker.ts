/**
 * External broker mode (DESIGN.md §7): the control plane is an MQTT 5 client (MQTT.js) of a
 * Mosquitto that devices connect to directly. Device → cp topics are shared subscriptions
 * (`$share/edgefleet-cp/…`, MQTT 5 §4.8.2), so with several replicas each device message reaches exactly
 * one of them. Device credentials and ACLs live in Mosquitto's dynamic-security plugin
 * (dynsec-credentials.ts). Mosquitto does not tell its clients who connects, so every device message is a
 * sign of life (`onDeviceSeen`), and the devices' heartbeats and last wills say the rest (devices/presence.ts);
 * MQTT.js reconnects with its own backoff and re-subscribes, and
 * `onReconnect` lets the control plane republish its retained documents (a restarted Mosquitto without
 * persistence has lost them). A single control plane (`sharedSubscriptions: false`) keeps a persistent
 * session under a client id that stays the same across restarts: device messages published while it or
 * Mosquitto restarts are queued for it instead of dropped (ADR 0008).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
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
  /**
   * The MQTT client id: stable across restarts and different for each replica (default:
   * `edgefleet-cp-<hostname>-<http port>`, random when the HTTP port is ephemeral).
   */
  readonly clientId?: string;
  /** Single control plane: how long Mosquitto keeps its session (subscriptions, queued messages) while away. */
  readonly sessionExpirySec?: number;
  /**
   * Device traffic through shared subscriptions, split between replicas, with clean sessions (default).
   * Off for a single control plane: plain subscriptions in a persistent session, which Mosquitto keeps
   * across the control plane's restart and (Mosquitto 2.0 persists plain subscriptions, not shared ones)
   * across its own. Never off with several replicas: each would ingest every message.
   */
  readonly sharedSubscriptions?: boolean;
}

export const EXTERNAL_DEFAULTS = Object.freeze({
  connectTimeoutMs: 5_000,
  reconnectPeriodMs: 1_000,
  commandTimeoutMs: 5_000,
  sessionExpirySec: 600,
  sharedSubscriptions: true,
});

/** Messages a resumed session delivers before ingest has subscribed, held until it has. */
const MAX_EARLY_MESSAGES = 100_000;

/** A replica's client id: the same after a restart on the same host and port, so it finds its session again. */
export function defaultClientId(httpPort: number): string {
  if (httpPort === 0) return `edgefleet-cp-${randomBytes(6).toString('hex')}`;
  return `edgefleet-cp-${hostname()
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 48)}-${httpPort}`;
}

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
    clientId: options.clientId ?? defaultClientId(0),
    username: options.username,
    password: options.password,
    // A single control plane keeps a persistent session: while it restarts, or Mosquitto does (with
    // persistence on), Mosquitto keeps its subscriptions and queues what devices publish. Replicas do not:
    // Mosquitto hands shared messages round-robin to offline sessions too, so a replica that died for good
    // would hold its share until the session expired; the other replicas take the traffic instead.
    ...(config.sharedSubscriptions
      ? { clean: true }
      : { clean: false, properties: { sessionExpiryInterval: config.sessionExpirySec } }),
    connectTimeout: config.connectTimeoutMs,
    reconnectPeriod: config.reconnectPeriodMs,
  });
  const dynsec = createDynsecClient({ client, timeoutMs: config.commandTimeoutMs });
  const deviceFilter = (pattern: string) => (config.sharedSubscriptions ? `$share/${SHARE_GROUP}/${pattern}` : pattern);
  const routes: { filter: string; handler: MessageHandler }[] = [];
  // A resumed session delivers what Mosquitto queued right after the CONNACK, before ingest has registered
  // its handlers: kept here until a handler for the topic arrives (bounded; the oldest go first).
  let early: { topic: string; bytes: Uint8Array }[] = [];
  /** Hands a message to every matching handler (false: none matches yet). No allocation per message. */
  const route = (topic: string, bytes: Uint8Array) => {
    let routed = false;
    for (const r of routes) {
      if (!topicMatches(r.filter, topic)) continue;
      if (!routed) {
        routed = true;
        const parsed = parseTopic(topic);
        // A status message says online or offline itself (a last will must not count as a sign of life).
        if (parsed !== null && parsed.kind !== 'status') hooks.onDeviceSeen(parsed.ownerId);
      }
      r.handler(topic, bytes);
    }
    return routed;
  };
  const addRoute = (filter: string, handler: MessageHandler) => {
    routes.push({ filter, handler });
    const waiting = early;
    early = [];
    for (const m of waiting) if (!route(m.topic, m.bytes)) early.push(m);
  };
  client.on('message', (topic, payload) => {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    if (topic === DYNSEC_RESPONSE_TOPIC) return dynsec.onResponse(bytes);
    if (route(topic, bytes)) return;
    if (early.length >= MAX_EARLY_MESSAGES) early.shift();
    early.push({ topic, bytes });
  });
  // Listening before the CONNACK: a resumed session's queued messages follow it at once.
  await firstConnect(client, options.url, config.connectTimeoutMs);
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
      addRoute(pattern, handler);
      await subscribe(deviceFilter(pattern));
    },
    // Mosquitto acknowledged the device's publish when it took it; the control plane's own acknowledgement
    // of the delivery is mqtt.js's.
    async consume(pattern, handler) {
      // A refusal is logged and counted by the ingest itself; nothing is left to do with it here.
      addRoute(pattern, (topic, payload) => void handler(topic, payload).catch(() => undefined));
      await subscribe(deviceFilter(pattern));
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
