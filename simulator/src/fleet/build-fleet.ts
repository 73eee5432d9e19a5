/**
 * Builds the virtual fleet of a scenario: for every cohort's devices, an id (`<cohort>-<n>`), a seeded
 * random stream, an enrolment through the control plane's own enrolment routes, a SimLink with the
 * cohort's network profile (outages and flapping on the virtual clock), its faults (install failure of
 * the candidate, crash mid-install, clock skew) and a virtual device around the real agent. `start` boots the
 * agents several at a time, each on a staged view of the clock (../clock/staged-clock.ts) so that their
 * first timers land on the shared clock in fleet order whatever order the boots finish in.
 */
import { join } from 'node:path';
import type { ControlPlane } from '@edgefleet/control-plane';
import { type Clock, mulberry32 } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { createStagedClock, type StagedClock } from '../clock/staged-clock.js';
import type { Workload } from '../models/workload.js';
import { scheduleLink } from '../network/link-schedule.js';
import { createSimLink } from '../network/sim-link.js';
import { createTrafficStats, type TrafficStats } from '../report/traffic-stats.js';
import type { SharedRuntime } from '../runtime/shared-runtime.js';
import type { Scenario } from '../scenario/scenario-schema.js';
import type { ControlPlaneApi } from './control-plane-api.js';
import { createDeviceTraffic } from './device-traffic.js';
import { createVirtualDevice, type VirtualDevice } from './virtual-device.js';

export const FLEET_TAG = 'sim';

const deviceId = (cohort: string, n: number) => `${cohort}-${n}`;
/** Where a device's enrolment writes its credentials and its agent keeps its state: one path for both. */
const stateDirOf = (dir: string, id: string) => join(dir, 'devices', id);

export interface FleetFaults {
  /** sha256 of the bundle (manifest digest) that fault-injected devices fail to load (the candidate's). */
  failingSha: string | null;
}

export async function buildFleet(options: {
  scenario: Scenario;
  /** The line the devices call, the cohorts' generators and whether they stream. */
  workload: Workload;
  cp: ControlPlane;
  api: ControlPlaneApi;
  clock: Clock;
  dir: string;
  runtime: SharedRuntime;
  faults: FleetFaults;
  logger: Logger;
  untilMs: number;
  /** Crash-mid-install faults fire from this instant on (the rehearsed rollout's start). */
  crashFromMs: number;
  onEvent: (deviceId: string, kind: 'installed' | 'install-failed', version: number) => void;
  onProgress?: (done: number, total: number) => void;
}): Promise<Fleet> {
  const { scenario, cp, clock } = options;
  const total = scenario.fleet.cohorts.reduce((n, c) => n + c.devices, 0);
  const rootPublicKeys = cp.rootPublicKeysHex;
  const installFailure = scenario.faults.installFailure;
  const skew = scenario.faults.clockSkew;
  const crash = scenario.faults.crashMidInstall;
  await enrolAll(options, total);
  const devices: VirtualDevice[] = [];
  const clocks: StagedClock[] = [];
  const traffic = new Map<string, TrafficStats>();
  const { workload } = options;
  let index = 0;
  for (const [c, cohort] of scenario.fleet.cohorts.entries()) {
    const hardware = scenario.hardwareProfiles[cohort.hardware];
    const network = scenario.networkProfiles[cohort.network];
    const generator = workload.generators[c];
    if (hardware === undefined || network === undefined || generator === undefined) {
      throw new Error('unreachable: validated by the schema');
    }
    const stats = createTrafficStats();
    traffic.set(cohort.name, stats);
    const failsHere = installFailure !== undefined && (installFailure.cohorts ?? [cohort.name]).includes(cohort.name);
    for (let n = 0; n < cohort.devices; n++, index++) {
      // Per-device streams: what one device draws never depends on the order devices run in.
      const stream = (purpose: number) =>
        mulberry32((scenario.seed * 1_000_003 + index * 7919 + purpose * 104_729) >>> 0);
      // One stream per purpose, so that e.g. one more network write does not change the rows predicted.
      const rng = stream(0);
      const linkRng = stream(1);
      const dataRng = stream(2);
      const id = deviceId(cohort.name, n);
      const stateDir = stateDirOf(options.dir, id);
      const crashes = crash !== undefined && rng() < crash.fraction;
      let crashed = false;
      const staged = createStagedClock(clock);
      clocks.push(staged);
      const link = createSimLink({
        clock: staged,
        profile: network,
        random: linkRng,
        serve: (stream) => cp.broker.handle(stream),
        // Crash once, on the first bundle chunk of the rehearsed rollout: the agent is mid-install.
        onChunk: () => {
          if (!crashes || crashed || clock.now() < options.crashFromMs) return;
          crashed = true;
          device.crash((crash?.restartAfterMin ?? 2) * 60_000);
        },
      });
      scheduleLink({ clock, link, profile: network, rng: linkRng, untilMs: options.untilMs });
      const failing = failsHere && rng() < (installFailure?.fraction ?? 0);
      const skewMs = skew !== undefined && rng() < skew.fraction ? Math.round((rng() * 2 - 1) * skew.maxMs) : 0;
      const device = createVirtualDevice({
        id,
        cohort,
        hardware,
        scenario,
        stateDir,
        rootPublicKeys,
        clock: staged,
        skewMs,
        link,
        runtime: options.runtime,
        failsToLoad: (sha) => failing && sha === options.faults.failingSha,
        traffic: createDeviceTraffic({
          line: workload.line,
          generator: generator.forDevice(dataRng),
          stats,
          clock,
          calls: scenario.traffic.calls,
          firstOutput: workload.firstOutput,
          stream: workload.streamed[c] === true ? id : null,
        }),
        rng,
        logger: options.logger,
        onEvent: options.onEvent,
      });
      devices.push(device);
    }
  }
  return {
    devices,
    traffic,
    async start(onStarted) {
      await inParallel(devices, START_CONCURRENCY, async (device) => {
        await device.start();
        onStarted?.();
      });
      for (const staged of clocks) staged.release();
    },
  };
}

export interface Fleet {
  readonly devices: VirtualDevice[];
  /** Per cohort name: what its devices' calls got. */
  readonly traffic: ReadonlyMap<string, TrafficStats>;
  /** Boots every agent (before virtual time starts); `onStarted` after each. */
  start(onStarted?: () => void): Promise<void>;
}

/** Agents booting at once: a boot is a chain of small file operations, mostly waiting on the thread pool. */
const START_CONCURRENCY = 16;

/** Runs `work` on every item, at most `concurrency` at a time. */
async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Enrolments in flight at once: enough to keep the CPU busy while credential files are written. */
const ENROL_CONCURRENCY = 16;

/**
 * Enrols every device through the control plane's routes, several at a time. The order does not matter for
 * the run: ids, groups and tags are the scenario's, and rollouts rank devices by a hash of their id.
 */
async function enrolAll(options: Parameters<typeof buildFleet>[0], total: number): Promise<void> {
  const queue = options.scenario.fleet.cohorts.flatMap((cohort) =>
    Array.from({ length: cohort.devices }, (_, n) => ({ cohort, id: deviceId(cohort.name, n) })),
  );
  let done = 0;
  await inParallel(queue, ENROL_CONCURRENCY, async (item) => {
    await options.api.enrol({
      deviceId: item.id,
      group: item.cohort.name,
      tags: [FLEET_TAG],
      profile: item.cohort.hardware,
      stateDir: stateDirOf(options.dir, item.id),
    });
    options.onProgress?.(++done, total);
  });
}
