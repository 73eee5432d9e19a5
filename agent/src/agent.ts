/**
 * The agent: composes enrolment, trust state, slots, runtime, inference, telemetry and the MQTT session into
 * one device process. Start-up order is chosen so the device is useful before the network is: credentials
 * (or enrolment) → activate every installed model → local HTTP API → connect. Everything that can go
 * wrong on the wire is counted, logged, turned into an event and a `lastError`, and the agent keeps
 * serving its current models.
 */
import { EventEmitter } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { childDeviceId, systemClock } from '@edgefleet/protocol';
import { pino } from 'pino';
import type { Agent, AgentEvents } from './agent-types.js';
import { type AgentOptions, DEFAULTS, resolveSettings } from './config.js';
import { createChildLink } from './connection/child-link.js';
import { openUplink } from './connection/open-uplink.js';
import { createDesiredHandler } from './desired/desired-handler.js';
import { createDriftMonitor } from './drift/drift-monitor.js';
import { AgentError } from './errors.js';
import { createFetcher } from './fetch/fetcher.js';
import { sysfsConditions } from './fl/eligibility.js';
import { createFlClient } from './fl/fl-client.js';
import { createSampleStore, lazySampleStore } from './fl/sample-store.js';
import { createTrainerCache } from './fl/trainer-cache.js';
import { createInferenceService } from './inference/inference-service.js';
import { createLocalHttpApi, type LocalHttpApi } from './inference/local-http-api.js';
import { activateInstalled } from './install/boot-loader.js';
import { createSlotStore } from './install/slot-store.js';
import { createInstallPipeline } from './install-wiring.js';
import { createOutcomes, emitOutcome } from './outcomes.js';
import { createReporter } from './reporting/reporter.js';
import { createOnnxRuntime } from './runtime/onnx-runtime.js';
import { createSelfUpdate } from './self-update/self-update.js';
import { routeSession, sessionFetchLink } from './session-wiring.js';
import { createShadowRunner } from './shadow/shadow-runner.js';
import { createSystemStats } from './system/system-stats.js';
import { createAgentTelemetry, type EventInput } from './telemetry-wiring.js';
import { openTrustState } from './trust/trust-state.js';
import { AGENT_VERSION } from './version.js';

export type { Agent, AgentEvents, AgentStats } from './agent-types.js';

export { AGENT_VERSION } from './version.js';

export async function createAgent(options: AgentOptions): Promise<Agent> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  const settings = resolveSettings(options);
  const { stateDir } = options;
  await mkdir(stateDir, { recursive: true });

  const {
    deviceId,
    root,
    uplink: session,
    session: ownSession,
    hardware,
    version,
  } = await openUplink(options, {
    clock,
    logger,
    backoff: settings.backoff,
    agentVersion: AGENT_VERSION,
  });
  const log = logger.child({ deviceId });
  const events = new EventEmitter<AgentEvents>();
  let inferences = 0;
  let lastInferenceAt: number | null = null;
  let driftAlarms = 0;

  const durability = options.stateDurability ?? 'fsync';
  const trust = await openTrustState({ path: join(stateDir, 'trust.json'), durability });
  const storage = options.queueStorage ?? 'file';
  const telemetry = createAgentTelemetry({ stateDir, storage, clock, logger: log, settings: settings.telemetry });
  // Its callbacks use the publisher, which exists before any prediction can run (the HTTP API starts later).
  const drift = createDriftMonitor({
    clock,
    logger: log,
    settings: settings.drift,
    activeVersion: (line) => service.active().find((a) => a.line === line)?.version,
    onSketch(record) {
      telemetry.appendTelemetry(record);
      publisher.kick();
    },
    onAlarm(alarm) {
      driftAlarms++;
      log.warn({ line: alarm.line, version: alarm.version, drift: alarm.drift }, 'drift alarm');
      recordEvent({ kind: 'drift-alarm', line: alarm.line, version: alarm.version, drift: alarm.drift });
      events.emit('drift-alarm', alarm);
    },
  });
  const service = createInferenceService({
    clock,
    onLatency: (sample) => {
      inferences++;
      lastInferenceAt = clock.now();
      telemetry.windows.record(sample);
    },
    onResult: (result) => drift.observe(result),
    onServed: (result) => shadows.observe(result),
    ...(options.inference?.maxElements === undefined ? {} : { maxElements: options.inference.maxElements }),
    streams: {
      ...(options.inference?.maxStreams === undefined ? {} : { maxStreams: options.inference.maxStreams }),
      ...(options.inference?.streamTtlMs === undefined ? {} : { ttlMs: options.inference.streamTtlMs }),
    },
  });
  const shadows = createShadowRunner({
    clock,
    logger: log,
    settings: settings.shadow,
    onWindow(record) {
      telemetry.appendTelemetry(record);
      publisher.kick();
    },
  });
  const runtime = options.runtime ?? createOnnxRuntime();
  const slots = createSlotStore({ root: join(stateDir, 'slots'), durability });
  await activateInstalled({ slots, runtime, service, shadows, root, logger: log });

  const publisher = telemetry.startPublisher((kind, payload) => session.publish(kind, payload));
  let http: LocalHttpApi | null = null;
  const connectionState = () => session.state;
  if (options.httpApi !== undefined && options.httpApi !== false) {
    http = await createLocalHttpApi({
      service,
      logger: log,
      host: options.httpApi.host ?? DEFAULTS.cliHttpApi.host,
      port: options.httpApi.port ?? 0,
      ...(options.httpApi.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.httpApi.maxBodyBytes }),
      token: options.httpApi.token,
      allowedHosts: options.httpApi.allowedHosts,
      status: () => ({ deviceId, connection: connectionState(), installed: service.active() }),
      feedback: (line, body) => drift.feedback(line, body),
      samples: (line, body) => addSamples(line, body),
    });
  }

  function recordEvent(event: EventInput): void {
    telemetry.appendEvent(event);
    publisher.kick();
  }

  const releases = createSelfUpdate({
    stateDir,
    trust,
    logger: log,
    onEvent: (event) => outcomes.install(event),
    supervised: options.supervised ?? false,
    settings: settings.supervision,
    onConfirmed: () => reporter.publishNow(),
    onReverted: () => events.emit('restart-requested'),
  });

  const outcomes = createOutcomes({
    logger: log,
    notify: (...notice) => emitOutcome(events, ...notice),
    recordEvent,
    report: () => reporter.publishNow(),
  });

  const reporter = createReporter({
    publish: (payload) => session.publish('reported', payload, { retain: true }),
    clock,
    intervalMs: settings.reportIntervalMs,
    logger: log,
    snapshot: () => ({
      agentVersion: version,
      desiredSeq: trust.appliedSeq(),
      installed: [
        ...service
          .active()
          .map((a) => ({ line: a.line, version: a.version, digest: a.digest, installedAt: a.activatedAt })),
        ...[releases.running()].filter((r) => r !== null),
      ],
      install: installer.progress(),
      lastError: outcomes.lastError(),
      hardware,
      runtimes: [runtime.name],
      shadows: shadows.active(),
      telemetryDropped: telemetry.outboxStats().dropped,
    }),
  });

  const { fetcher, installer } = createInstallPipeline({
    stateDir,
    durability,
    clock,
    logger: log,
    settings,
    link: sessionFetchLink(session, clock),
    stats: options.systemStats ?? createSystemStats(),
    parts: { slots, runtime, service, shadows, trust, releases },
    onRestart: () => events.emit('restart-requested'),
    onEvent: (event) => outcomes.install(event),
    onProgress: () => reporter.publishThrottled(),
  });

  const desired = createDesiredHandler({
    deviceId,
    root,
    trust,
    clock,
    logger: log,
    onRejected: (error, context) => outcomes.reject(error, context),
    onAccepted: (targets) => {
      installer.enqueue(targets);
      reporter.publishNow();
    },
  });

  // Federated training: local samples, the weights fetcher (its own downloads dir, so a round
  // never disturbs a model install), trainers per model spec, and the round client.
  const samples = lazySampleStore(() =>
    createSampleStore({
      path: storage === 'memory' ? ':memory:' : join(stateDir, 'samples.db'),
      maxRows: settings.fl.maxSamples,
    }),
  );
  const addSamples = (line: string, body: unknown) =>
    samples.add(line, ((body ?? {}) as { rows?: unknown }).rows as Parameters<typeof samples.add>[1]);
  const trainers = createTrainerCache({ backend: settings.fl.backend, logger: log });
  const flFetcher = createFetcher({
    link: sessionFetchLink(session, clock),
    clock,
    logger: log,
    downloadsDir: join(stateDir, 'fl-downloads'),
    settings: settings.fetch,
  });
  const fl = createFlClient({
    deviceId,
    clock,
    logger: log,
    policy: settings.fl,
    samples,
    conditions: options.deviceConditions ?? sysfsConditions(),
    fetcher: flFetcher,
    trainerFor: trainers.get,
    lastInferenceAt: () => lastInferenceAt,
    publish: (payload) => session.publish('fl/update', payload),
  });

  routeSession(session, { publisher, reporter, fetchers: [fetcher, flFetcher], fl, desired, outcomes, events });
  session.on('state', (state) => releases.connectionChanged(state));

  recordEvent({ kind: 'agent-started' });
  // Before the desired state can arrive: a reverted release is marked failed first, so it is not re-staged.
  await releases.settle();
  session.start();
  log.info({ installed: service.active().length, httpUrl: http?.url ?? null }, 'agent started');

  let closing: Promise<void> | null = null;
  return {
    deviceId,
    get connectionState() {
      return session.state;
    },
    httpUrl: http?.url ?? null,
    infer: (line, feeds, options) => service.infer(line, feeds, options),
    resetStream: (line, stream) => service.resetStream(line, stream),
    predict: (line, rows) => service.predict(line, rows),
    predictTensor: (line, input) => service.predictTensor(line, input),
    feedback: (line, body) => drift.feedback(line, body),
    installed: () => service.active().map(({ line, version, digest }) => ({ line, version, digest })),
    samples: { add: addSamples, count: (line) => samples.count(line) },
    stats: () => ({
      rejections: outcomes.rejections(),
      outbox: telemetry.outboxStats(),
      inferences,
      authFailures: session.authFailures,
      rejectedChunks: fetcher.rejectedChunks,
      driftAlarms,
      shadow: shadows.stats(),
      fl: fl.stats(),
    }),
    events,
    async flushTelemetry() {
      telemetry.windows.flush();
      drift.flush();
      shadows.flush();
      if (session.state === 'online') await publisher.drain();
    },
    whenIdle: () => installer.idle(),
    openChild(name) {
      if (ownSession === null) throw new AgentError('CONFLICT', `child device ${deviceId} cannot carry children`);
      let childId: string;
      try {
        childId = childDeviceId(deviceId, name);
      } catch (cause) {
        throw new AgentError('BODY_INVALID', `no valid child device id for ${JSON.stringify(name)}`, { cause });
      }
      const link = createChildLink({ parent: ownSession, deviceId: childId, logger: log.child({ child: childId }) });
      return { deviceId: childId, root, link };
    },
    close() {
      closing ??= (async () => {
        telemetry.windows.close();
        drift.close();
        shadows.flush();
        reporter.close();
        fl.close();
        flFetcher.abort();
        await releases.close();
        await installer.close();
        if (session.state === 'online') await publisher.drain().catch(() => undefined);
        publisher.stop();
        await session.close();
        // No new desired message can arrive now; let the one in progress report its outcome before the outbox closes.
        await desired.idle();
        await http?.close();
        await service.close();
        await shadows.close();
        telemetry.close();
        await fl.idle();
        trainers.dispose();
        samples.close();
        log.info('agent stopped');
      })();
      return closing;
    },
  };
}
