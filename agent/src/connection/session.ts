/**
 * A thin MQTT 3.1.1 session over MQTT.js. MQTT.js reconnects at a fixed period; we turn that off
 * (`reconnectPeriod: 0`) and own the loop: one MqttClient per connection attempt, retries spaced by full-
 * jitter backoff on the injected Clock, and the explicit ConnectionState machine. On every CONNACK we
 * subscribe to our own cp → device topics (`desired`, `fetch/res`, `fl/task`) (clean session, so subscriptions do not survive a
 * disconnect; MQTT 3.1.1 §3.1.2.4), and only then go `online` so the first retained `desired` is never
 * missed. Publishes are QoS 1 and resolve on PUBACK; offline publishes reject at once (the outbox retries).
 * A gateway's session also carries its child devices (DESIGN.md §6): `addChild` subscribes to the child's
 * cp → device topics in the gateway's bridge sub-tree (now, and on every reconnect before going online),
 * their messages come out as `child-message`, and `publishAs` publishes on a child's topics.
 */
import { EventEmitter } from 'node:events';
import {
  type Clock,
  CP_TO_DEVICE,
  type CpToDeviceKind,
  type DeviceToCpKind,
  deviceTopic,
  encodeCbor,
  parseChildDeviceId,
  parseTopic,
} from '@edgefleet/protocol';
import { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { DEFAULTS } from '../config.js';
import { AgentError } from '../errors.js';
import type { Backoff } from './backoff.js';
import { type ConnectionState, transition } from './state.js';
import type { Transport } from './transport.js';
import type { Uplink, UplinkEvents } from './uplink.js';

/** A cp → device message for one of this gateway's child devices. */
export interface ChildMessage {
  readonly deviceId: string;
  readonly kind: CpToDeviceKind;
  readonly payload: Uint8Array;
}

export interface Session extends Uplink {
  /** Listens to the messages of the children; returns the function that stops listening. */
  onChildMessage(listener: (message: ChildMessage) => void): () => void;
  /** Publishes on the topic of `deviceId`: this device or one of its children. */
  publishAs(deviceId: string, kind: DeviceToCpKind, payload: Uint8Array, options?: { retain?: boolean }): Promise<void>;
  /** Carries child `{deviceId}--{name}` from now on; resolves once subscribed (at once while not online). */
  addChild(childDeviceId: string): Promise<void>;
  removeChild(childDeviceId: string): Promise<void>;
}

export interface SessionOptions {
  readonly transport: Transport;
  readonly deviceId: string;
  readonly username: string;
  readonly password: string;
  readonly clock: Clock;
  readonly backoff: Backoff;
  readonly logger: Logger;
  readonly keepaliveSec?: number;
  readonly connectTimeoutMs?: number;
  /**
   * A `status: online` heartbeat this often while online (0: none). The session's last will is `status:
   * offline`, and a clean close says so first: brokers that do not report connections (an external
   * Mosquitto) let the control plane see a device go from these.
   */
  readonly heartbeatMs?: number;
}

function statusPayload(state: 'online' | 'offline', ts: number): Buffer {
  return Buffer.from(encodeCbor({ v: 1, type: 'status', ts, state }));
}

/** MQTT 3.1.1 §3.2.2.3: 4 = bad user name or password, 5 = not authorized. */
const AUTH_REFUSALS = new Set([4, 5]);

export function createSession(options: SessionOptions): Session {
  const { deviceId, logger, clock } = options;
  const emitter = new EventEmitter<UplinkEvents>();
  const childListeners = new Set<(message: ChildMessage) => void>();
  let state: ConnectionState = 'offline';
  let client: MqttClient | null = null;
  let attempt = 0;
  let authFailures = 0;
  let cancelRetry: (() => void) | null = null;
  let cancelHeartbeat: (() => void) | null = null;
  const heartbeatMs = options.heartbeatMs ?? DEFAULTS.statusHeartbeatMs;
  const statusTopic = deviceTopic(deviceId, 'status');
  let stopping = false;
  const pending = new Set<(error: Error) => void>();
  const children = new Set<string>();
  const topicsOf = (id: string) => CP_TO_DEVICE.map((kind) => deviceTopic(id, kind));

  function setState(next: ConnectionState): void {
    state = transition(state, next);
    logger.debug({ state }, 'connection state');
    emitter.emit('state', state);
  }

  function failPending(reason: string): void {
    const error = new AgentError('INTERNAL', `publish not acknowledged: ${reason}`);
    for (const reject of [...pending]) reject(error);
    pending.clear();
  }

  function connectOnce(): void {
    setState('connecting');
    const attemptClient = new MqttClient(() => options.transport.connect(), {
      clientId: deviceId,
      username: options.username,
      password: options.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      keepalive: options.keepaliveSec ?? DEFAULTS.keepaliveSec,
      connectTimeout: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      will: { topic: statusTopic, payload: statusPayload('offline', clock.now()), qos: 1, retain: false },
      // mqtt-packet otherwise pre-builds a Buffer for each of the 65,536 packet ids at the first write: about
      // 8 MB of heap that an agent publishing a few messages a minute never earns back.
      writeCache: false,
    });
    client = attemptClient;
    let closed = false;

    attemptClient.on('connect', () => {
      const topics = [deviceId, ...children].flatMap(topicsOf);
      attemptClient.subscribe(topics, { qos: 1 }, (error, granted) => {
        if (client !== attemptClient || closed) return;
        const refused = granted?.find((g) => g.qos === 128);
        if (error !== null || refused !== undefined) {
          logger.error({ err: error, topic: refused?.topic }, 'subscription refused; reconnecting');
          attemptClient.end(true);
          return;
        }
        attempt = 0;
        setState('online');
        heartbeat(attemptClient);
      });
    });
    attemptClient.on('message', (topic, payload) => {
      const parsed = parseTopic(topic);
      const mine = parsed?.deviceId === deviceId || children.has(parsed?.deviceId ?? '');
      if (parsed === null || !mine || parsed.direction !== 'cp-to-device') {
        logger.warn({ topic }, 'message on an unexpected topic ignored');
        return;
      }
      const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      const kind = parsed.kind as CpToDeviceKind;
      if (parsed.deviceId === deviceId) emitter.emit('message', { kind, payload: bytes });
      else for (const listener of childListeners) listener({ deviceId: parsed.deviceId, kind, payload: bytes });
    });
    attemptClient.on('error', (error) => {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && AUTH_REFUSALS.has(code)) {
        authFailures++;
        logger.error({ code, authFailures }, 'broker refused our credentials; backing off');
      } else {
        logger.warn({ err: error }, 'mqtt connection error');
      }
    });
    attemptClient.on('close', () => {
      if (closed || client !== attemptClient) return;
      closed = true;
      failPending('connection closed');
      attemptClient.end(true);
      client = null;
      if (stopping) return;
      scheduleRetry();
    });
  }

  function heartbeat(of: MqttClient): void {
    if (heartbeatMs <= 0) return;
    cancelHeartbeat?.();
    cancelHeartbeat = clock.setTimer(heartbeatMs, () => {
      cancelHeartbeat = null;
      if (client !== of || state !== 'online') return;
      of.publish(statusTopic, statusPayload('online', clock.now()), { qos: 0 });
      heartbeat(of);
    });
  }

  function scheduleRetry(): void {
    setState('backing-off');
    const delayMs = options.backoff.delayMs(attempt++);
    logger.info({ delayMs, attempt }, 'reconnecting after backoff');
    cancelRetry = clock.setTimer(delayMs, () => {
      cancelRetry = null;
      if (!stopping) connectOnce();
    });
  }

  // defineProperties, not Object.assign: assign would copy the getters' current values, freezing them.
  Object.defineProperties(emitter, {
    state: { get: () => state, enumerable: true },
    authFailures: { get: () => authFailures, enumerable: true },
  });
  function publishAs(
    id: string,
    kind: DeviceToCpKind,
    payload: Uint8Array,
    publishOptions: { retain?: boolean } = {},
  ): Promise<void> {
    const current = client;
    if (state !== 'online' || current === null) {
      return Promise.reject(new AgentError('INTERNAL', `cannot publish ${kind}: connection is ${state}`));
    }
    if (id !== deviceId && !children.has(id)) {
      return Promise.reject(new AgentError('TOPIC_FORBIDDEN', `${id} is not carried by this session`));
    }
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        pending.delete(settle);
        if (error === undefined) resolve();
        else reject(error);
      };
      pending.add(settle);
      current.publish(
        deviceTopic(id, kind),
        Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
        { qos: 1, retain: publishOptions.retain ?? false },
        (error) => settle(error ?? undefined),
      );
    });
  }

  const session = Object.assign(emitter, {
    start() {
      if (state !== 'offline' || stopping) return;
      connectOnce();
    },
    publish: (kind: DeviceToCpKind, payload: Uint8Array, publishOptions?: { retain?: boolean }) =>
      publishAs(deviceId, kind, payload, publishOptions),
    publishAs,
    onChildMessage(listener: (message: ChildMessage) => void) {
      childListeners.add(listener);
      return () => {
        childListeners.delete(listener);
      };
    },
    async addChild(childDeviceId: string) {
      if (parseChildDeviceId(childDeviceId)?.gatewayId !== deviceId) {
        throw new AgentError('TOPIC_FORBIDDEN', `${childDeviceId} is not a child of ${deviceId}`);
      }
      children.add(childDeviceId);
      const current = client;
      if (state !== 'online' || current === null) return;
      const granted = await current.subscribeAsync(topicsOf(childDeviceId), { qos: 1 });
      if (granted.some((g) => g.qos === 128)) {
        children.delete(childDeviceId);
        throw new AgentError('TOPIC_FORBIDDEN', `the broker refused the topics of ${childDeviceId}`);
      }
    },
    async removeChild(childDeviceId: string) {
      if (!children.delete(childDeviceId)) return;
      // Not awaited: once forgotten, the child's messages are dropped anyway, and a dead link must not
      // hold up a child's shutdown waiting for UNSUBACK.
      if (state === 'online') {
        client?.unsubscribe(topicsOf(childDeviceId), (error) => {
          if (error) logger.debug({ err: error, childDeviceId }, 'unsubscribe of a child failed');
        });
      }
    },
    async close() {
      stopping = true;
      cancelRetry?.();
      cancelRetry = null;
      cancelHeartbeat?.();
      cancelHeartbeat = null;
      const current = client;
      client = null;
      failPending('session closed');
      // A clean DISCONNECT discards the will: say goodbye first (best effort, not waited for).
      if (current !== null && state === 'online')
        current.publish(statusTopic, statusPayload('offline', clock.now()), { qos: 0 });
      if (current !== null) {
        // A graceful end waits for in-flight packets; a dead link would make it wait forever, so cap it.
        await new Promise<void>((resolve) => {
          const cancel = clock.setTimer(2000, () => current.end(true, {}, () => resolve()));
          current.end(false, {}, () => {
            cancel();
            resolve();
          });
        });
      }
      if (state !== 'offline') setState('offline');
    },
  });
  return session as Session;
}
