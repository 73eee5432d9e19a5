/**
 * The embedded MQTT 3.1.1 broker (aedes on a net.Server). Devices authenticate with username = clientId =
 * device id and the password issued at enrolment; every publish and subscribe goes through the pure ACL
 * (./acl.ts). Refusals are logged and counted: a refused SUBSCRIBE is answered with SUBACK 0x80 (MQTT 3.1.1
 * §3.9.3), a refused PUBLISH closes the connection (§3.3.5: the protocol has no negative PUBACK). The
 * control plane itself talks to aedes in-process. Before authentication the connection guard bounds what a
 * client may send (connection-guard.ts, ADR 0005); after it each device has a publish quota. Device
 * publishes go to ingest (`consume`) before their PUBACK, so a publish is acknowledged once it is stored
 * (ADR 0006). stop()/start() close and reopen the listener on the same port, so tests and the simulator can
 * stage a broker outage.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { ControlPlaneError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { createThrottledLog } from '../observability/throttled-log.js';
import { authorizeDevicePublish, authorizeDeviceSubscribe } from './acl.js';
import { type BrokerLimitsOption, resolveBrokerLimits } from './broker-limits.js';
import { createConnectionGuard, type Refusal } from './connection-guard.js';
import { createPublishQuotas } from './publish-quota.js';
import { indexRetainedByTopic, type RetainedPersistence } from './retained-index.js';
import { topicMatches } from './topic-filter.js';

export type BrokerState = 'listening' | 'stopped' | 'closed';

const TRANSITIONS: Readonly<Record<BrokerState, readonly BrokerState[]>> = {
  listening: ['stopped', 'closed'],
  stopped: ['listening', 'closed'],
  closed: [],
};

function transition(from: BrokerState, to: BrokerState): BrokerState {
  if (!TRANSITIONS[from].includes(to)) {
    throw new ControlPlaneError('INVALID_TRANSITION', `broker cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
  return to;
}

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export interface EmbeddedBroker {
  readonly port: number;
  publish(topic: string, payload: Uint8Array, options: PublishOptions): Promise<void>;
  /** In-process subscription; the handler must not throw (it is called for every matching message). */
  subscribe(pattern: string, handler: (topic: string, payload: Uint8Array) => void): Promise<void>;
  /** Device publishes matching `pattern` go to `handler`; the PUBACK waits for its promise (message-broker.ts). */
  consume(pattern: string, handler: (topic: string, payload: Uint8Array) => Promise<void>): void;
  /**
   * Serves one MQTT connection over an in-memory stream, without the TCP listener (the simulator's
   * virtual network). Same authentication and ACL hooks as a socket; unaffected by stop().
   */
  handle(stream: Duplex): void;
  /** Closes the live session of `clientId`, if there is one. */
  disconnect(clientId: string): void;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Bounds before and after authentication (broker-limits.ts has the defaults). */
  readonly limits?: BrokerLimitsOption | undefined;
  verifyDevice(deviceId: string, password: Uint8Array): Promise<boolean>;
  onDeviceConnected(deviceId: string): void;
  onDeviceDisconnected(deviceId: string): void;
}

function authError(message: string): AuthenticateError {
  // 4 = "bad user name or password" (MQTT 3.1.1 §3.2.2.3); aedes' AuthErrorCode is an ambient const enum.
  return Object.assign(new Error(message), { returnCode: 4 }) as AuthenticateError;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { logger, metrics } = options;
  const limits = resolveBrokerLimits(options.limits);
  const aedes = await Aedes.createBroker({ connectTimeout: limits.connectTimeoutMs });
  // aedes keeps its persistence on the instance (not in its typings); see retained-index.ts for why.
  indexRetainedByTopic((aedes as unknown as { persistence: RetainedPersistence }).persistence);
  const throttled = createThrottledLog(logger);
  const refuse = (client: Client, topic: string, reason: string) => {
    metrics.countRejection('TOPIC_FORBIDDEN');
    logger.warn({ deviceId: client.id, topic, reason }, 'broker ACL refused');
  };
  const refuseConnection = (refusal: Refusal) => {
    metrics.countRejection(refusal.code);
    throttled.warn(
      refusal.code,
      { code: refusal.code, remoteAddress: refusal.remoteAddress, ...refusal.details },
      `broker closed a connection: ${refusal.reason}`,
    );
  };
  const guard = createConnectionGuard(limits, refuseConnection);
  const consumers: Array<{ filter: string; handler: (topic: string, payload: Uint8Array) => Promise<void> }> = [];
  /** Hands a device's publish to its consumer; the publish is acknowledged when the consumer has stored it. */
  const consume = (packet: { topic: string; payload: Buffer | string }, done: (error: Error | null) => void) => {
    const consumer = consumers.find((c) => topicMatches(c.filter, packet.topic));
    if (consumer === undefined) return done(null);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    consumer.handler(packet.topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)).then(
      () => done(null),
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  };
  const quotas = createPublishQuotas(limits.publish);

  aedes.authenticate = (client, username, password, done) => {
    const refuse = () => {
      metrics.countRejection('AUTH_REQUIRED');
      throttled.warn('AUTH_REQUIRED', { deviceId: username, clientId: client.id }, 'broker refused credentials');
      done(authError('bad username or password'), false);
    };
    if (username === undefined || password === undefined || client.id !== username) return refuse();
    options.verifyDevice(username, new Uint8Array(password)).then(
      (ok) => {
        if (!ok) return refuse();
        guard.authenticated(client.conn);
        done(null, true);
      },
      (error: unknown) => {
        logger.error({ deviceId: username, err: error }, 'device credentials could not be checked');
        refuse();
      },
    );
  };
  aedes.authorizePublish = (client, packet, done) => {
    // client is null only for an orphaned will message; devices get no wills, so nothing is published.
    const decision =
      client === null
        ? { allowed: false as const, reason: 'no client' }
        : authorizeDevicePublish(client.id, packet.topic);
    if (!decision.allowed || client === null) {
      if (client !== null) refuse(client, packet.topic, decision.allowed ? 'no client' : decision.reason);
      return done(new ControlPlaneError('TOPIC_FORBIDDEN', decision.allowed ? 'no client' : decision.reason));
    }
    // Retained messages belong to the control plane (desired state): a device's publish is delivered, never kept.
    packet.retain = false;
    const wait = quotas.admit(client.id, packet.payload.length);
    if (wait === 0) return consume(packet, done);
    if (wait === Number.POSITIVE_INFINITY) {
      refuseConnection({
        code: 'RATE_LIMITED',
        reason: 'device publishes over its quota',
        details: { deviceId: client.id },
      });
      return done(new ControlPlaneError('RATE_LIMITED', `device ${client.id} publishes over its quota`));
    }
    setTimeout(() => consume(packet, done), wait);
  };
  aedes.authorizeSubscribe = (client, subscription, done) => {
    const decision = authorizeDeviceSubscribe(client.id, subscription.topic);
    if (decision.allowed) return done(null, subscription);
    refuse(client, subscription.topic, decision.reason);
    done(null, null); // SUBACK return code 0x80 for this filter; the session stays up.
  };
  aedes.on('client', (client) => options.onDeviceConnected(client.id));
  aedes.on('clientDisconnect', (client) => options.onDeviceDisconnected(client.id));
  aedes.on('clientError', (client, error) => logger.debug({ deviceId: client.id, err: error }, 'mqtt client error'));
  // Errors of connections that never completed a CONNECT (aedes names them connectionError).
  aedes.on('connectionError', (_client, error) => {
    if (error.message === 'connect did not arrive in time') {
      refuseConnection({
        code: 'CONNECT_TIMEOUT',
        reason: 'no CONNECT in time',
        details: { limitMs: limits.connectTimeoutMs },
      });
    }
  });

  const sockets = new Set<Socket>();
  // noDelay: see agent transport — Nagle + delayed ACK stalls every small request/response exchange.
  const server = createServer({ noDelay: true }, (socket) => {
    if (!guard.admit(socket)) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    guard.watch(socket, socket.remoteAddress);
    aedes.handle(socket);
  });
  server.maxConnections = limits.maxConnections;
  server.on('drop', (dropped) =>
    refuseConnection({
      code: 'CONNECTION_LIMIT',
      reason: 'connection limit reached',
      remoteAddress: dropped?.remoteAddress,
      details: { limit: limits.maxConnections },
    }),
  );
  const port = await listen(server, options.port, options.host);
  let state: BrokerState = 'listening';

  const stop = async () => {
    state = transition(state, 'stopped');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };

  return {
    port,
    publish(topic, payload, { qos, retain }) {
      // An in-process publish on a device → cp topic is ingested as if the device had sent it (tests, tools).
      const consumer = consumers.find((c) => topicMatches(c.filter, topic));
      if (consumer !== undefined) return consumer.handler(topic, payload).catch(() => undefined);
      return new Promise((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false }, (error) =>
          error ? reject(error) : resolve(),
        );
      });
    },
    subscribe: (pattern, handler) =>
      new Promise((resolve) => {
        aedes.subscribe(
          pattern,
          (packet, done) => {
            const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
            handler(packet.topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
            done();
          },
          resolve,
        );
      }),
    consume(pattern, handler) {
      consumers.push({ filter: pattern, handler });
    },
    handle: (stream) => {
      guard.watch(stream);
      aedes.handle(stream);
    },
    disconnect(clientId) {
      (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[clientId]?.close();
    },
    stop,
    async start() {
      state = transition(state, 'listening');
      await listen(server, port, options.host);
    },
    async close() {
      if (state === 'listening') await stop();
      state = transition(state, 'closed');
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
