/**
 * `createControlPlane(options)`: opens the database, loads the keys, starts the embedded broker, ingest,
 * the desired-state refresher, the drift judge timer and the HTTP server, and wires the services together.
 * Defaults live in one frozen DEFAULTS object (control-plane-options.ts). `close()` tears everything down in reverse order of start.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildRootDocument, systemClock } from '@edgefleet/protocol';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import pino from 'pino';
import { createAuditLog } from './audit/audit-log.js';
import { createApiTokens, installAdminToken } from './auth/api-tokens.js';
import { startEmbeddedBroker } from './broker/embedded-broker.js';
import { type ControlPlaneOptions, maybe, resolveOptions } from './control-plane-options.js';
import { openDatabase } from './db/open-database.js';
import { startDesiredRefresher } from './desired/desired-refresher.js';
import { createDesiredState } from './desired/desired-state.js';
import { createChildDevices } from './devices/child-devices.js';
import { createDeviceHistory } from './devices/device-history.js';
import { createDeviceRegistry } from './devices/device-registry.js';
import { createEnrolment } from './devices/enrolment.js';
import { createDriftStore } from './drift/drift-store.js';
import { createFleetDrift, type DriftApi } from './drift/fleet-drift.js';
import { startDriftJudgeTimer } from './drift/judge-timer.js';
import { resolveDriftConfig } from './drift/thresholds.js';
import { createEventBus, type FleetEventListener } from './events/event-bus.js';
import { createFlCoordinator, type FlCoordinator } from './fl/coordinator.js';
import { createEvalSets, type StoredEvalSet } from './fl/eval-sets.js';
import { createFlStore } from './fl/fl-store.js';
import { createApp } from './http/create-app.js';
import type { HttpEnv } from './http/http-env.js';
import { startIngest } from './ingest/dispatcher.js';
import { loadOrCreateKeys } from './keys/key-store.js';
import { createMetrics, type MetricsSnapshot } from './metrics.js';
import { createPrometheus } from './observability/prometheus.js';
import { createFileBlobStore } from './registry/blob-store.js';
import { createModelRegistry } from './registry/model-registry.js';
import { createGateData } from './rollouts/gate-data.js';
import { createRolloutService } from './rollouts/rollout-service.js';
import { createRolloutStore, stateOf } from './rollouts/rollout-store.js';
import type { RolloutView } from './rollouts/rollout-view.js';
import { startRolloutTicker } from './rollouts/tick-timer.js';

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
  };
  readonly metrics: { snapshot(): MetricsSnapshot };
  /** Cohort drift for rollout gates and the FL coordinator; 'alert' fires when a cohort window alerts. */
  readonly drift: DriftApi;
  /** The rollout orchestrator: read a rollout, step every active one now, follow its events. */
  readonly rollouts: {
    get(id: string): RolloutView;
    tick(): Promise<void>;
    on(event: 'event', listener: FleetEventListener): void;
    off(event: 'event', listener: FleetEventListener): void;
  };
  /** Federated training jobs (issue 10): create, follow, cancel; evaluation sets are CBOR uploads. */
  readonly fl: Pick<FlCoordinator, 'createJob' | 'get' | 'list' | 'cancel' | 'settled' | 'weights'> & {
    uploadEvalSet(bytes: Uint8Array): Promise<StoredEvalSet>;
  };
  /** Resolves once every MQTT message received so far has been processed. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const config = resolveOptions(options);
  const clock = options.clock ?? systemClock;
  const now = () => clock.now();
  const logger = options.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  const database = openDatabase({ file: join(config.dataDir, 'edgefleet.db') });
  const { db } = database;
  const keys = options.keys ?? loadOrCreateKeys({ dataDir: config.dataDir });
  const rootDocument = buildRootDocument({
    keys,
    version: 1,
    issuedAt: now(),
    expiresAt: now() + config.rootTtlMs,
    ...maybe('thresholds', options.thresholds),
  });
  const adminToken = installAdminToken({
    db,
    dataDir: config.dataDir,
    now,
    ...maybe('adminToken', options.adminToken),
  });
  const metrics = createMetrics();
  const blobs = options.blobStore ?? createFileBlobStore({ dir: join(config.dataDir, 'blobs') });
  const devices = createDeviceRegistry({ db, now });
  // A restart finds every device offline until it reconnects.
  for (const d of devices.list()) if (d.connection === 'online') devices.setConnection(d.id, 'offline');

  const broker = await startEmbeddedBroker({
    host: config.host,
    port: config.mqttPort,
    logger,
    metrics,
    verifyDevice: (id, password) => devices.verifyPassword(id, password),
    onDeviceConnected: (id) => connection(id, 'online'),
    onDeviceDisconnected: (id) => connection(id, 'offline'),
  });
  function connection(deviceId: string, state: 'online' | 'offline') {
    try {
      devices.setConnection(deviceId, state);
      if (state === 'offline') devices.setChildrenConnection(deviceId, 'offline');
      logger.info({ deviceId, state }, 'device connection');
    } catch (error) {
      logger.error({ deviceId, err: error }, 'could not record connection state');
    }
  }

  const registry = createModelRegistry({ db, blobs, targetsKeys: keys.targets, now });
  const desired = createDesiredState({
    db,
    broker,
    registry,
    directorKeys: keys.director,
    ttlMs: config.desiredTtlMs,
    now,
    logger,
  });
  const audit = createAuditLog({ db, now });
  const bus = createEventBus({ logger, onListenerError: () => metrics.countRejection('INTERNAL') });
  const rolloutStore = createRolloutStore({ db, now });
  const rollouts = createRolloutService({
    store: rolloutStore,
    devices,
    registry,
    desired,
    data: createGateData(db),
    audit,
    bus,
    logger,
    now,
  });
  const driftConfig = resolveDriftConfig(options.drift);
  const drift = createFleetDrift({ store: createDriftStore({ db }), registry, config: driftConfig, logger, now });
  drift.on('alert', (alert) => bus.emit({ ...alert, type: 'drift.alert', at: now() }));
  const flStore = createFlStore({ db, now });
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
  drift.on('alert', (alert) => fl.onDriftAlert(alert));
  const children = createChildDevices({ devices, maxChildren: config.maxChildrenPerGateway, logger });
  const ingest = await startIngest({
    db,
    broker,
    blobs,
    devices,
    children,
    desired,
    rollouts,
    drift,
    fl,
    metrics,
    logger,
    now,
  });
  fl.resume();
  await desired.refreshDue();
  await desired.republishAll();
  const refresher = startDesiredRefresher({ clock, desired, refreshIntervalMs: config.refreshIntervalMs, logger });
  const driftJudge = startDriftJudgeTimer({ clock, drift, judgeIntervalMs: driftConfig.judgeIntervalMs, logger });
  // A restart resumes every active rollout from the DB: the first step runs now, then on every tick.
  await rollouts.tick();
  const ticker = startRolloutTicker({
    clock,
    tickMs: options.rollouts?.tickMs ?? config.rolloutTickMs,
    tick: rollouts.tick,
    logger,
  });

  const mqttUrl = `mqtt://${config.host}:${broker.port}`;
  const app = createApp({
    logger,
    services: {
      apiTokens: createApiTokens({ db, now }),
      audit,
      events: bus,
      enrolment: createEnrolment({ db, now }),
      devices,
      history: createDeviceHistory({ db }),
      registry,
      desired,
      rollouts,
      drift,
      fl,
      evalSets,
      prometheus: createPrometheus({
        metrics,
        fleet: {
          deviceConnections: () => devices.list().map((d) => d.connection),
          rolloutStates: () => rolloutStore.all().map(stateOf),
          flJobStates: () => flStore.jobs().map((j) => j.state),
        },
      }),
      rootDocument,
      maxBundleBytes: config.maxBundleBytes,
      enrolmentTokenTtlSec: config.enrolmentTokenTtlSec,
      now,
      mqttUrl: () => mqttUrl,
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
    rootPublicKeys: keys.root.map((k) => k.publicKey),
    rootPublicKeysHex: keys.root.map((k) => Buffer.from(k.publicKey).toString('hex')),
    adminToken,
    broker: { publish: broker.publish, stop: broker.stop, start: broker.start },
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
    drain: () => ingest.drain(),
    close() {
      closing ??= (async () => {
        refresher.stop();
        ticker.stop();
        driftJudge.stop();
        fl.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ('closeAllConnections' in server) server.closeAllConnections();
        });
        await broker.close();
        await ingest.drain();
        database.close();
        logger.info('control plane closed');
      })();
      return closing;
    },
  };
}
