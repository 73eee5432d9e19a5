/**
 * `createControlPlane(options)`: opens the database, loads the keys, starts the broker (embedded, or a client
 * of an external Mosquitto), ingest, the scheduler (leader duties: desired-state refresher, drift judge,
 * rollout ticks, FL jobs) and the HTTP server, and wires the services together.
 * Defaults live in one frozen DEFAULTS object (control-plane-options.ts). `close()` tears everything down in reverse order of start.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { systemClock } from '@edgefleet/protocol';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import pino from 'pino';
import { createAuditLog } from './audit/audit-log.js';
import { createApiTokens, installAdminToken } from './auth/api-tokens.js';
import { defaultClientId } from './broker/external-broker.js';
import { startBroker } from './broker/start-broker.js';
import { type ControlPlaneOptions, maybe, resolveOptions } from './control-plane-options.js';
import { openDatabase } from './db/open-database.js';
import { createDesiredState } from './desired/desired-state.js';
import { createChildDevices } from './devices/child-devices.js';
import { createDeviceHistory } from './devices/device-history.js';
import { createDeviceRegistry } from './devices/device-registry.js';
import { createEnrolment } from './devices/enrolment.js';
import { createPresence } from './devices/presence.js';
import { createRevocation } from './devices/revocation.js';
import { createDriftStore } from './drift/drift-store.js';
import { createFleetDrift, type DriftApi } from './drift/fleet-drift.js';
import { resolveDriftConfig } from './drift/thresholds.js';
import { ControlPlaneError } from './errors.js';
import { createEventBus, type FleetEventListener } from './events/event-bus.js';
import { createFlCoordinator, type FlCoordinator } from './fl/coordinator.js';
import { createEvalSets, type StoredEvalSet } from './fl/eval-sets.js';
import { createFlStore } from './fl/fl-store.js';
import { createApp } from './http/create-app.js';
import type { HttpEnv } from './http/http-env.js';
import { startIngest } from './ingest/dispatcher.js';
import { createKeyRotation } from './keys/key-rotation.js';
import { createTrustStore } from './keys/trust-store.js';
import { createMetrics, type MetricsSnapshot } from './metrics.js';
import { createPrometheus } from './observability/prometheus.js';
import { createFileBlobStore } from './registry/blob-store.js';
import { createModelRegistry } from './registry/model-registry.js';
import { createGateData } from './rollouts/gate-data.js';
import { createRolloutService } from './rollouts/rollout-service.js';
import { createRolloutStore, stateOf } from './rollouts/rollout-store.js';
import type { RolloutView } from './rollouts/rollout-view.js';
import { createLeaderDuties } from './scheduler/leader-duties.js';
import { type SchedulerState, startLeaderElection } from './scheduler/leader-election.js';
import { alwaysLeaderLock } from './scheduler/leader-lock.js';
import { createPgAdvisoryLock } from './scheduler/pg-advisory-lock.js';

export { type ControlPlaneOptions, DEFAULTS } from './control-plane-options.js';

export interface ControlPlane {
  readonly app: Hono<HttpEnv>;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly mqttPort: number;
  readonly rootPublicKeys: Uint8Array[];
  readonly rootPublicKeysHex: string[];
  readonly adminToken: string;
  readonly broker: {
    publish(topic: string, payload: Uint8Array, options: { qos: 0 | 1; retain: boolean }): Promise<void>;
    stop(): Promise<void>;
    start(): Promise<void>;
    /**
     * Serves one MQTT connection over an in-memory duplex stream (the simulator's virtual network); embedded
     * broker only (BROKER_UNAVAILABLE with an external broker).
     */
    handle(stream: Duplex): void;
  };
  readonly metrics: { snapshot(): MetricsSnapshot };
  /** Cohort drift for rollout gates and the FL coordinator; 'alert' fires when a cohort window alerts. */
  readonly drift: DriftApi;
  /** The rollout orchestrator: read a rollout, step every active one now, follow its events. */
  readonly rollouts: {
    get(id: string): Promise<RolloutView>;
    tick(): Promise<void>;
    on(event: 'event', listener: FleetEventListener): void;
    off(event: 'event', listener: FleetEventListener): void;
  };
  /** Federated training jobs: create, follow, cancel; evaluation sets are CBOR uploads. */
  readonly fl: Pick<FlCoordinator, 'createJob' | 'get' | 'list' | 'cancel' | 'settled' | 'weights'> & {
    uploadEvalSet(bytes: Uint8Array): Promise<StoredEvalSet>;
  };
  /** This replica's scheduler state and how many times it became leader (scheduler/leader-election.ts). */
  leadership(): { state: SchedulerState; terms: number };
  /** Resolves once every MQTT message received so far has been processed. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const config = resolveOptions(options);
  // onnxruntime-node collects telemetry unless told not to; it reads this variable when the registry or the
  // FL evaluator creates its first session. Setting it to 0 opts back in.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const logger = options.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  chmodSync(config.dataDir, 0o700); // keys, tokens and the database live here: owner only, even if it existed

  const databaseOption = options.database ?? { kind: 'sqlite' };
  const database = await openDatabase(
    databaseOption.kind === 'postgres'
      ? { kind: 'postgres', url: databaseOption.url }
      : { kind: 'sqlite', file: join(config.dataDir, 'edgefleet.db') },
  );
  const trust = createTrustStore({
    ...(options.keys === undefined ? { file: join(config.dataDir, 'keys.json') } : { keys: options.keys }),
    ...maybe('thresholds', options.thresholds),
    ttlMs: config.rootTtlMs,
    now,
  });
  if (trust.reissueIfDue()) logger.info({ version: trust.summary().version }, 'root document re-issued before expiry');
  const adminToken = await installAdminToken({
    database,
    dataDir: config.dataDir,
    now,
    ...maybe('adminToken', options.adminToken),
  });
  const metrics = createMetrics();
  const blobs = options.blobStore ?? createFileBlobStore({ dir: join(config.dataDir, 'blobs') });
  const devices = createDeviceRegistry({ database, now });
  const brokerOption = options.broker ?? { kind: 'embedded' };
  // A restart finds every device offline until it reconnects. Not with an external broker: the devices stay
  // connected to it (and other replicas see them), and it does not tell a new client who is connected.
  if (brokerOption.kind === 'embedded') {
    for (const d of await devices.list()) if (d.connection === 'online') await devices.setConnection(d.id, 'offline');
  }

  let onBrokerReconnect = () => {};
  // An unreachable or refusing external broker fails start-up (BROKER_UNAVAILABLE / BROKER_REFUSED).
  const broker = await startBroker(
    brokerOption.kind === 'external'
      ? { ...brokerOption, clientId: brokerOption.clientId ?? defaultClientId(config.httpPort) }
      : brokerOption,
    {
      host: config.host,
      port: config.mqttPort,
      logger,
      metrics,
      verifyDevice: (id, password) => devices.verifyPassword(id, password),
      // With an external broker only a device recorded offline is set online (another replica may own it).
      onDeviceConnected: (id) => (brokerOption.kind === 'embedded' ? connection(id, 'online') : presence.seen(id)),
      onDeviceDisconnected: (id) => connection(id, 'offline'),
      onReconnect: () => onBrokerReconnect(),
    },
  ).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  // Connection changes are written in the order the broker reported them (a quick reconnect must end online).
  let connectionWrites: Promise<void> = Promise.resolve();
  function connection(deviceId: string, state: 'online' | 'offline', options: { onlyIfOffline?: boolean } = {}) {
    connectionWrites = connectionWrites.then(async () => {
      try {
        if (options.onlyIfOffline === true) {
          const offline = (await devices.exists(deviceId)) && (await devices.get(deviceId)).connection === 'offline';
          if (!offline) return;
        }
        await devices.setConnection(deviceId, state);
        if (state === 'offline') await devices.setChildrenConnection(deviceId, 'offline');
        logger.info({ deviceId, state }, 'device connection');
      } catch (error) {
        logger.error({ deviceId, err: error }, 'could not record connection state');
      }
    });
  }

  const presence = createPresence({ devices, connection, offlineAfterMs: config.offlineAfterMs, now, logger });
  // The embedded broker reports every disconnect itself; an external one says nothing, so silence decides.
  const presenceSweep =
    brokerOption.kind === 'external'
      ? setInterval(
          () => {
            presence.sweep().catch((error: unknown) => logger.error({ err: error }, 'presence sweep failed'));
          },
          Math.max(250, Math.min(30_000, config.offlineAfterMs / 4)),
        )
      : undefined;
  presenceSweep?.unref();

  const registry = createModelRegistry({ database, blobs, targetsKeys: () => trust.signers('targets'), now });
  const desired = createDesiredState({
    database,
    broker,
    registry,
    directorKeys: () => trust.signers('director'),
    targetsKeys: () => trust.signers('targets'),
    rootChain: trust.chain,
    ttlMs: config.desiredTtlMs,
    now,
    logger,
  });
  const audit = createAuditLog({ database, now });
  const bus = createEventBus({ logger, onListenerError: () => metrics.countRejection('INTERNAL') });
  const rolloutStore = createRolloutStore({ database, now });
  const rollouts = createRolloutService({
    store: rolloutStore,
    devices,
    registry,
    desired,
    data: createGateData(database),
    audit,
    bus,
    logger,
    now,
    newRolloutId: options.rollouts?.newId,
  });
  const driftConfig = resolveDriftConfig(options.drift);
  const drift = createFleetDrift({ store: createDriftStore({ database }), registry, config: driftConfig, logger, now });
  drift.on('alert', (alert) => bus.emit({ ...alert, type: 'drift.alert', at: now() }));
  const flStore = createFlStore({ database, now });
  const evalSets = createEvalSets({ blobs, store: flStore, now });
  const fl = createFlCoordinator({
    store: flStore,
    devices,
    blobs,
    evalSets,
    registry,
    rollouts,
    bus,
    clock,
    logger,
    publish: (topic, payload) => broker.publish(topic, payload, { qos: 1, retain: false }),
  });
  drift.on('alert', (alert) => {
    fl.onDriftAlert(alert).catch((error: unknown) =>
      logger.error({ err: error, line: alert.line, cohort: alert.cohort }, 'drift alert not handed to FL jobs'),
    );
  });
  const children = createChildDevices({ devices, maxChildren: config.maxChildrenPerGateway, logger });
  const ingest = await startIngest({
    database,
    broker,
    blobs,
    devices,
    children,
    desired,
    rollouts,
    drift,
    fl,
    presence,
    metrics,
    logger,
    now,
  });
  // A restarted external broker may have lost its retained documents (no persistence): publish them again.
  onBrokerReconnect = () => {
    desired.republishAll().catch((error: unknown) => logger.error({ err: error }, 'republishing desired failed'));
  };
  // One process alone is always its own scheduler leader; among replicas the lock elects one. Each new leader
  // resumes rollouts and FL jobs from the database.
  const scheduler = await startLeaderElection({
    lock:
      options.scheduler?.lock ??
      (databaseOption.kind === 'postgres'
        ? createPgAdvisoryLock({ url: databaseOption.url, logger })
        : alwaysLeaderLock()),
    ...maybe('retryMs', options.scheduler?.leaderRetryMs),
    duties: createLeaderDuties({
      clock,
      logger,
      desired,
      drift,
      fl,
      rollouts,
      refreshIntervalMs: config.refreshIntervalMs,
      judgeIntervalMs: driftConfig.judgeIntervalMs,
      tickMs: options.rollouts?.tickMs ?? config.rolloutTickMs,
    }),
    logger,
  });
  await desired.republishAll();

  const mqttUrl = broker.deviceUrl;
  const handleStream = (stream: Duplex) => {
    if (broker.handle === undefined) {
      throw new ControlPlaneError('BROKER_UNAVAILABLE', 'in-memory device connections need the embedded broker');
    }
    broker.handle(stream);
  };
  const app = createApp({
    logger,
    services: {
      apiTokens: createApiTokens({ database, now }),
      audit,
      events: bus,
      enrolment: createEnrolment({ database, now }),
      devices,
      revocation: createRevocation({ rollouts: rolloutStore, devices, broker, desired, logger }),
      history: createDeviceHistory({ database }),
      registry,
      desired,
      rollouts,
      drift,
      fl,
      evalSets,
      prometheus: createPrometheus({
        metrics,
        fleet: {
          deviceConnections: async () => (await devices.list()).map((d) => d.connection),
          rolloutStates: async () => (await rolloutStore.all()).map(stateOf),
          flJobStates: async () => (await flStore.jobs()).map((j) => j.state),
          schedulerState: scheduler.state,
        },
      }),
      trust,
      keyRotation: createKeyRotation({ trust, registry, desired, logger }),
      maxBundleBytes: config.maxBundleBytes,
      enrolmentTokenTtlSec: config.enrolmentTokenTtlSec,
      now,
      schedulerState: scheduler.state,
      mqttUrl: () => mqttUrl,
      registerBrokerCredentials: broker.registerDevice,
    },
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.host }, () => resolve(s));
  });
  const httpPort = (server.address() as AddressInfo).port;
  logger.info({ httpPort, mqttPort: broker.port }, 'control plane started');

  let closing: Promise<void> | null = null;
  return {
    app,
    httpUrl: `http://${config.host}:${httpPort}`,
    mqttUrl,
    mqttPort: broker.port,
    get rootPublicKeys() {
      return trust.signers('root').map((k) => k.publicKey);
    },
    get rootPublicKeysHex() {
      return trust.signers('root').map((k) => Buffer.from(k.publicKey).toString('hex'));
    },
    adminToken,
    broker: { publish: broker.publish, stop: broker.stop, start: broker.start, handle: handleStream },
    metrics: { snapshot: () => metrics.snapshot() },
    drift: { evaluate: drift.evaluate, on: drift.on, off: drift.off },
    rollouts: { get: rollouts.get, tick: rollouts.tick, on: rollouts.on, off: rollouts.off },
    fl: {
      createJob: fl.createJob,
      get: fl.get,
      list: fl.list,
      cancel: fl.cancel,
      settled: fl.settled,
      weights: fl.weights,
      uploadEvalSet: evalSets.put,
    },
    leadership: () => ({ state: scheduler.state(), terms: scheduler.terms() }),
    drain: () => ingest.drain(),
    close() {
      closing ??= (async () => {
        clearInterval(presenceSweep);
        await scheduler.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
        await broker.close();
        await ingest.drain();
        await connectionWrites;
        await database.close();
        logger.info('control plane closed');
      })();
      return closing;
    },
  };
}
