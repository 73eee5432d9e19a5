/**
 * Runs a scenario: its models and data generators prepared and checked (../models/workload.ts), an
 * embedded control plane on the virtual clock, the fleet enrolled through its routes, the champion rolled
 * out to everyone, then — at `rollout.atMin` — the plan under rehearsal started for the candidate. The clock then runs to `durationMin`, sampling the fleet every `sampleEveryMin`
 * and following the control plane's rollout and drift events. Returns the report and the run's cost
 * (wall time, peak RSS), which stays out of the report so that a seed reproduces it exactly.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane, type FleetEvent, isActive, isRolloutState } from '@edgefleet/control-plane';
import { mulberry32 } from '@edgefleet/protocol';
import { pino } from 'pino';
import { createVirtualClock } from '../clock/virtual-clock.js';
import { buildFleet, FLEET_TAG, type FleetFaults } from '../fleet/build-fleet.js';
import { controlPlaneApi } from '../fleet/control-plane-api.js';
import type { VirtualDevice } from '../fleet/virtual-device.js';
import { prepareWorkload } from '../models/workload.js';
import type { ReportEvent, Sample, SimulationReport } from '../report/report-types.js';
import { takeSample } from '../report/sampler.js';
import { summarise } from '../report/summarise.js';
import type { LatencySummary, TrafficStats } from '../report/traffic-stats.js';
import { createSharedRuntime } from '../runtime/shared-runtime.js';
import { resolveModelFiles } from '../scenario/model-files.js';
import type { Scenario } from '../scenario/scenario-schema.js';

const MINUTE_MS = 60_000;
/** Virtual start: a fixed instant, so signed documents' times (and their expiry) repeat run to run. */
const START_MS = Date.UTC(2026, 0, 1);

function seededIds(seed: number): () => string {
  const rng = mulberry32(seed ^ 0x5eed);
  return () => `ro-${Array.from({ length: 12 }, () => Math.floor(rng() * 16).toString(16)).join('')}`;
}

export type RunPhase = 'enrol' | 'start' | 'simulate';

export interface RunCost {
  readonly wallMs: number;
  readonly enrolMs: number;
  /**
   * Wall time from the rehearsed rollout's start (`rollout.atMin`) to its end state (completed, failed,
   * rolled back, aborted); null when it had not ended when the scenario did.
   */
  readonly rolloutMs: number | null;
  /** Wall time from the rehearsed rollout's start to the end of the scenario. */
  readonly rolloutToEndMs: number;
  readonly peakRssBytes: number;
  /** MQTT packets over the virtual links per direction (the benchmark's baseline sends as many). */
  readonly messagesUp: number;
  readonly messagesDown: number;
  /**
   * Inference latency per cohort and version as the agents measured it on the simulator's host (one shared
   * onnxruntime session per bundle, not the device's hardware): wall time, so not in the report.
   */
  readonly latency: Record<string, Record<string, LatencySummary>>;
}

export async function runScenario(
  scenario: Scenario,
  options: { onProgress?: (phase: RunPhase, done: number, total: number) => void } = {},
): Promise<{ report: SimulationReport; cost: RunCost }> {
  const started = performance.now();
  // Model files and generators are checked before anything starts: a scenario that does not fit its model
  // is refused (SCENARIO_INVALID) without a control plane to tear down. Paths not made absolute by
  // loadScenario are relative to the working directory.
  const resolved = resolveModelFiles(scenario, { baseDir: process.cwd() }, `scenario ${scenario.name}`);
  const workload = await prepareWorkload(resolved, { startMs: START_MS });
  const { line } = workload;
  let peakRss = process.memoryUsage.rss();
  // tmpfs when there is one: thousands of slot directories and the control plane's SQLite file cost
  // fsyncs on a disk, which only slow the run down (the scenario's time is virtual anyway).
  const dir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'edgefleet-sim-'));
  const logger = pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'silent' });
  const clock = createVirtualClock({ startMs: START_MS });
  const windowMs = scenario.drift.windowMin * MINUTE_MS;
  const cp = await createControlPlane({
    dataDir: join(dir, 'control-plane'),
    clock,
    logger,
    // Seeded rollout ids: the id seeds which devices land in which wave, so the seed must fix it too.
    rollouts: { tickMs: MINUTE_MS, newId: seededIds(scenario.seed) },
    drift: { windowMs, minRows: scenario.drift.minRows, graceMs: 2 * MINUTE_MS, judgeIntervalMs: MINUTE_MS },
  });
  const runtime = createSharedRuntime();
  const api = controlPlaneApi(cp);
  const endMs = START_MS + scenario.durationMin * MINUTE_MS;
  const rolloutAtMs = START_MS + scenario.rollout.atMin * MINUTE_MS;
  const atMin = (ms: number) => Math.round(((ms - START_MS) / MINUTE_MS) * 100) / 100;
  const events: ReportEvent[] = [];
  const driftAlerts: SimulationReport['driftAlerts'] = [];
  const faults: FleetFaults = { failingSha: null };
  const devices: VirtualDevice[] = [];
  let traffic: ReadonlyMap<string, TrafficStats> = new Map();
  try {
    const champion = await api.registerModel({ line, upload: workload.champion, field: 'models.champion' });
    // Registered now, rolled out at rollout.atMin: the upload (multipart body, ONNX self-test vectors) is
    // done before virtual time starts.
    const registered = await api.registerModel({ line, upload: workload.candidate, field: 'models.candidate' });
    const candidate = registered.version;
    // The sha256 devices verify and load by: the registered bundle's (model file and self-test set).
    faults.failingSha = registered.digest;

    const enrolStarted = performance.now();
    const fleet = await buildFleet({
      scenario,
      workload,
      cp,
      api,
      clock,
      dir,
      runtime,
      faults,
      logger,
      untilMs: endMs,
      crashFromMs: rolloutAtMs,
      onEvent: (deviceId, kind, version) => {
        if (kind === 'install-failed') {
          events.push({ atMin: atMin(clock.now()), type: kind, summary: `${deviceId} v${version}` });
        }
      },
      onProgress: (done, total) => options.onProgress?.('enrol', done, total),
    });
    devices.push(...fleet.devices);
    traffic = fleet.traffic;
    let booted = 0;
    await fleet.start(() => options.onProgress?.('start', ++booted, devices.length));
    const enrolMs = performance.now() - enrolStarted;
    const championRollout = await api.post('/v1/rollouts', {
      line,
      version: champion.version,
      selector: { tags: [FLEET_TAG] },
      waves: [{ percent: 100 }],
      concurrency: 100_000,
    });

    cp.rollouts.on('event', (event: FleetEvent) => {
      if (event.type === 'drift.alert') {
        driftAlerts.push({ atMin: atMin(event.at), cohort: String(event.cohort), version: Number(event.version) });
        return;
      }
      if (event.rolloutId !== rolloutId) return;
      const to = String(event.to);
      if (event.type === 'rollout.transition' && isRolloutState(to) && !isActive(to) && Number.isNaN(rolloutEnded)) {
        rolloutEnded = performance.now();
      }
      const { type, at, rolloutId: _, ...rest } = event;
      events.push({ atMin: atMin(at), type, summary: JSON.stringify(rest) });
    });

    let rolloutId: string | null = null;
    let rolloutStarted = Number.NaN;
    let rolloutEnded = Number.NaN;
    // Operator actions and samples run at their instant and hold virtual time until they finish (awaited in
    // onInstant): their async work (request bodies, stores) must not race the clock.
    const pending: Promise<void>[] = [];
    // The candidate's rollout starts at rollout.atMin, or as soon as the champion's has ended if it is still
    // going then (a fleet takes one rollout per line at a time): checked once a virtual minute.
    let delayNoted = false;
    const startCandidate = () => {
      pending.push(
        (async () => {
          const { rollout } = scenario;
          const championState = String((await cp.rollouts.get(String(championRollout.id))).state);
          if (isRolloutState(championState) && isActive(championState)) {
            if (!delayNoted) {
              delayNoted = true;
              events.push({
                atMin: atMin(clock.now()),
                type: 'rollout.delayed',
                summary: `the champion's rollout is still ${championState}; the candidate's starts when it ends`,
              });
            }
            clock.setTimer(MINUTE_MS, startCandidate);
            return;
          }
          const created = await api.post('/v1/rollouts', {
            line,
            version: candidate,
            selector: { tags: [FLEET_TAG] },
            waves: rollout.waves,
            concurrency: rollout.concurrency,
            installTimeoutMs: rollout.installTimeoutMin * MINUTE_MS,
            observationMs: rollout.observationMin * MINUTE_MS,
            gates: rollout.gates,
            onGateFailure: rollout.onGateFailure,
          });
          rolloutId = created.id as string;
          rolloutStarted = performance.now();
        })(),
      );
    };
    clock.setTimer(rolloutAtMs - clock.now(), startCandidate);

    const samples: Sample[] = [];
    const sampleEveryMs = scenario.sampleEveryMin * MINUTE_MS;
    let rollbackVersion: number | null = null;
    clock.setTimer(0, function sample() {
      const at = clock.now();
      pending.push(
        (async () => {
          if (rolloutId !== null && rollbackVersion === null) {
            const view = await cp.rollouts.get(rolloutId);
            rollbackVersion = (view.rollback as { version?: number } | undefined)?.version ?? null;
          }
          const versions = [champion.version, candidate, rollbackVersion].filter(
            (v): v is number => v !== null && v > 0,
          );
          samples.push(
            await takeSample({
              atMin: atMin(at),
              line,
              profiled: workload.kind === 'iris',
              traffic,
              devices,
              cp,
              rolloutId,
              versions,
              driftSinceMs: at - windowMs,
            }),
          );
        })(),
      );
      if (at + sampleEveryMs <= endMs) clock.setTimer(sampleEveryMs, sample);
    });

    let lastWall = 0;
    await clock.runUntil(endMs, {
      async onInstant(now) {
        if (pending.length > 0) await Promise.all(pending.splice(0));
        const wall = performance.now();
        if (wall - lastWall < 200) return;
        lastWall = wall;
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        options.onProgress?.('simulate', now - START_MS, endMs - START_MS);
      },
    });
    const simulated = performance.now();
    options.onProgress?.('simulate', endMs - START_MS, endMs - START_MS);
    const report = await summarise({
      scenario,
      model: { line, kind: workload.kind, inputs: workload.inputs, output: workload.firstOutput },
      traffic,
      cp,
      devices,
      rolloutId,
      models: { champion: champion.version, candidate, rollback: rollbackVersion },
      samples,
      events,
      driftAlerts,
    });
    return {
      report,
      cost: {
        wallMs: Math.round(performance.now() - started),
        enrolMs: Math.round(enrolMs),
        rolloutMs: Number.isNaN(rolloutEnded) ? null : Math.round(rolloutEnded - rolloutStarted),
        rolloutToEndMs: Math.round(simulated - rolloutStarted),
        peakRssBytes: peakRss,
        messagesUp: devices.reduce((n, d) => n + d.link.stats.messagesUp, 0),
        messagesDown: devices.reduce((n, d) => n + d.link.stats.messagesDown, 0),
        latency: Object.fromEntries([...traffic].map(([cohort, stats]) => [cohort, stats.latency()])),
      },
    };
  } finally {
    // Cut every link first so no agent waits on the network, and keep virtual time moving while the
    // agents close: their shutdown (final reports, outbox) may wait on timers of the virtual clock.
    for (const device of devices) device.link.setUp(false);
    let closed = false;
    const closing = Promise.allSettled(devices.map((d) => d.close())).then(() => {
      closed = true;
    });
    for (let step = 0; step < 600 && !closed; step++) await clock.runUntil(clock.now() + 1000);
    await closing;
    await runtime.close();
    await cp.close();
    await rm(dir, { recursive: true, force: true });
  }
}
