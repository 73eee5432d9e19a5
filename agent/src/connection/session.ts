/**
 * A thin MQTT 3.1.1 session over MQTT.js. MQTT.js reconnects at a fixed period; we turn that off
 * (`reconnectPeriod: 0`) and own the loop: one MqttClient per connection attempt, retries spaced by full-
 * jitter backoff on the injected Clock, and the explicit ConnectionState machine. On every CONNACK we
 * subscribe to our own cp → device topics (`desired`, `fetch/res`, `fl/task`) (clean session, so subscriptions do not survive a
 * disconnect; MQTT 3.1.1 §3.1.2.4), and only then go `online` so the first retained `desired` is never
 * missed. Publishes are QoS 1 and resolve on PUBACK; offline publishes reject at once (the outbox retries).
 */
import { EventEmitter } from 'node:events';
import {
  type Clock,
  CP_TO_DEVICE,
  type CpToDeviceKind,
  type DeviceToCpKind,
  deviceTopic,
  parseTopic,
} from '@edgefleet/protocol';
import { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { DEFAULTS } from '../config.js';
import { AgentError } from '../errors.js';
import type { Backoff } from './backoff.js';
import { type ConnectionState, transition } from './state.js';
import type { Transport } from './transport.js';

export interface SessionEvents {
  state: [ConnectionState];
  message: [{ kind: CpToDeviceKind; payload: Uint8Array }];
}

export interface Session extends EventEmitter<SessionEvents> {
  readonly state: ConnectionState;
  /** Connection refusals for bad credentials / not authorized (CONNACK 4 and 5). */
  readonly authFailures: number;
  start(): void;
  publish(kind: DeviceToCpKind, payload: Uint8Array, options?: { retain?: boolean }): Promise<void>;
  close(): Promise<void>;
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
}

/** MQTT 3.1.1 §3.2.2.3: 4 = bad user name or password, 5 = not authorized. */
const AUTH_REFUSALS = new Set([4, 5]);

export function createSession(options: SessionOptions): Session {
  const { deviceId, logger, clock } = options;
  const emitter = new EventEmitter<SessionEvents>();
  let state: ConnectionState = 'offline';
  let client: MqttClient | null = null;
  let attempt = 0;
  let authFailures = 0;
  let cancelRetry: (() => void) | null = null;
  let stopping = false;
  const pending = new Set<(error: Error) => void>();

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
    });
    client = attemptClient;
    let closed = false;

    attemptClient.on('connect', () => {
      const topics = CP_TO_DEVICE.map((kind) => deviceTopic(deviceId, kind));
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
      });
    });
    attemptClient.on('message', (topic, payload) => {
      const parsed = parseTopic(topic);
      if (parsed === null || parsed.deviceId !== deviceId || parsed.direction !== 'cp-to-device') {
        logger.warn({ topic }, 'message on an unexpected topic ignored');
        return;
      }
      const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      emitter.emit('message', { kind: parsed.kind as CpToDeviceKind, payload: bytes });
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
  const session = Object.assign(emitter, {
    start() {
      if (state !== 'offline' || stopping) return;
      connectOnce();
    },
    publish(kind: DeviceToCpKind, payload: Uint8Array, publishOptions: { retain?: boolean } = {}) {
      const current = client;
      if (state !== 'online' || current === null) {
        return Promise.reject(new AgentError('INTERNAL', `cannot publish ${kind}: connection is ${state}`));
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
          deviceTopic(deviceId, kind),
          Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
          { qos: 1, retain: publishOptions.retain ?? false },
          (error) => settle(error ?? undefined),
        );
      });
    },
    async close() {
      stopping = true;
      cancelRetry?.();
      cancelRetry = null;
      const current = client;
      client = null;
      failPending('session closed');
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
