/**
 * One virtual device: the real agent (`createAgent`) on its own state directory, talking to the control
 * plane through its SimLink, reading time from the virtual clock (shifted by its clock skew), running models
 * on the shared runtime behind its hardware faults, and called on every traffic tick with inputs from its
 * cohort's data generator (./device-traffic.ts). It can be
 * crashed (the agent is stopped mid-install) and restarted from the same state directory, as a power cut
 * followed by a reboot would do.
 */
import { type Agent, createAgent } from '@edgefleet/agent';
import type { Clock, Rng } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { SimLink } from '../network/sim-link.js';
import type { SharedRuntime } from '../runtime/shared-runtime.js';
import type { Cohort, HardwareProfile, Scenario } from '../scenario/scenario-schema.js';
import type { DeviceTraffic } from './device-traffic.js';

const MB = 1024 * 1024;
const MINUTE_MS = 60_000;

export interface DeviceCounters {
  installed: number;
  installFailed: number;
  rejected: number;
  crashes: number;
  predictions: number;
}

export interface VirtualDevice {
  readonly id: string;
  readonly cohort: Cohort;
  readonly link: SimLink;
  readonly counters: DeviceCounters;
  agent(): Agent | null;
  start(): Promise<void>;
  /** Stops the agent now and starts it again after `restartAfterMs` (virtual). */
  crash(restartAfterMs: number): void;
  close(): Promise<void>;
}

export interface DeviceSetup {
  readonly id: string;
  readonly cohort: Cohort;
  readonly hardware: HardwareProfile;
  readonly scenario: Scenario;
  readonly stateDir: string;
  readonly rootPublicKeys: readonly string[];
  readonly clock: Clock;
  readonly skewMs: number;
  readonly link: SimLink;
  readonly runtime: SharedRuntime;
  readonly failsToLoad: (sha256: string) => boolean;
  /** The calls of one traffic tick. */
  readonly traffic: DeviceTraffic;
  /** The agent's own randomness (backoff jitter) and the traffic phase. */
  readonly rng: Rng;
  readonly logger: Logger;
  readonly onEvent: (deviceId: string, kind: 'installed' | 'install-failed', version: number) => void;
}

export function createVirtualDevice(setup: DeviceSetup): VirtualDevice {
  const { clock, scenario } = setup;
  const counters: DeviceCounters = { installed: 0, installFailed: 0, rejected: 0, crashes: 0, predictions: 0 };
  const deviceClock: Clock =
    setup.skewMs === 0 ? clock : { now: () => clock.now() + setup.skewMs, setTimer: clock.setTimer };
  const runtime = setup.runtime.forDevice({ onnxRuntime: setup.hardware.onnxRuntime, failsToLoad: setup.failsToLoad });
  const windowMs = scenario.telemetry.windowMin * MINUTE_MS;
  let agent: Agent | null = null;
  let closed = false;
  let stopTraffic: (() => void) | null = null;

  async function boot(): Promise<void> {
    const started = await createAgent({
      stateDir: setup.stateDir,
      rootPublicKeys: setup.rootPublicKeys,
      transport: setup.link,
      clock: deviceClock,
      logger: setup.logger,
      runtime,
      random: setup.rng,
      keepaliveSec: 0,
      statusHeartbeatMs: 0, // the embedded broker reports disconnects itself
      // MQTT.js times the CONNACK on the wall clock; on the virtual network the link decides, so no limit.
      connectTimeoutMs: 3_600_000,
      queueStorage: 'memory',
      // A simulated crash stops the agent inside this process, never the OS: what it wrote is there for the
      // restarted agent without a flush (and the run directory is on tmpfs when there is one).
      stateDurability: 'none',
      httpApi: false,
      hardwareProfile: setup.cohort.hardware,
      systemStats: {
        freeDiskBytes: async () => 16 * 1024 * MB,
        availableMemoryBytes: () => setup.hardware.memoryMb * MB,
      },
      // Appends drain the outbox at once (kick); the interval only retries after a failed publish.
      telemetry: { windowMs, flushIntervalMs: windowMs },
      drift: { windowMs },
      shadow: { windowMs },
      reportIntervalMs: MINUTE_MS,
      fl: { enabled: false },
    });
    started.events.on('installed', (e) => {
      counters.installed++;
      setup.onEvent(setup.id, 'installed', e.version);
    });
    started.events.on('install-failed', (e) => {
      counters.installFailed++;
      setup.onEvent(setup.id, 'install-failed', e.version);
    });
    started.events.on('rejected', () => counters.rejected++);
    agent = started;
    scheduleTraffic();
  }

  /** Calls on the cohort's inputs every traffic interval, phase spread by the device's own stream. */
  function scheduleTraffic(): void {
    const everyMs = scenario.traffic.everyMin * MINUTE_MS;
    let cancel = clock.setTimer(Math.floor(setup.rng() * everyMs), function tick() {
      if (agent === null) return;
      void setup
        .traffic(() => agent)
        .then((served) => {
          counters.predictions += served;
        });
      cancel = clock.setTimer(everyMs, tick);
    });
    stopTraffic = () => cancel();
  }

  async function stop(): Promise<void> {
    stopTraffic?.();
    stopTraffic = null;
    const current = agent;
    agent = null;
    await current?.close();
  }

  return {
    id: setup.id,
    cohort: setup.cohort,
    link: setup.link,
    counters,
    agent: () => agent,
    start: boot,
    crash(restartAfterMs) {
      if (agent === null || closed) return;
      counters.crashes++;
      void stop().then(() =>
        clock.setTimer(restartAfterMs, () => {
          if (!closed) void boot();
        }),
      );
    },
    async close() {
      closed = true;
      await stop();
    },
  };
}
