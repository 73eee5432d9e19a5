/**
 * Agent self-update end to end: the device artifact is installed into an empty root by its own
 * install-service and runs from the written systemd unit (the test kit's unit runner: start step, notify
 * socket, watchdog, restart on failure) against a real control plane; agent releases are registered and
 * rolled out on the line `agent` like models. A good release is tried, confirmed and reported; a broken
 * build is reverted by the start step after its trial starts; a release that crash-loops after it was
 * confirmed is reverted too; both are reported as AGENT_UNHEALTHY while the old agent keeps serving; and
 * power cuts (SIGKILL to everything) at seeded random moments of self-updates always leave a working agent
 * that finishes the update or has reverted it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_RELEASE, createReleaseStore } from '@edgefleet/agent';
import { isActive, isRolloutState } from '@edgefleet/control-plane';
import { freePort, type UnitRun } from '@edgefleet/test-kit';
import { buildIrisModels, mulberry32 } from '@edgefleet/test-kit/models';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeAgentConfig } from '../src/agent-process.js';
import {
  assembleDeviceArtifact,
  type DeviceArtifact,
  expectStatus,
  type Fleet,
  installDevice,
  registerModel,
  startFleet,
  startService,
  waitFor,
} from '../src/index.js';

const iris = buildIrisModels();
/** Power-cut trials per run; the soak script raises it (POWER_CUT_TRIALS=200). */
const TRIALS = Number(process.env.POWER_CUT_TRIALS ?? 20);
const SEED = Number(process.env.POWER_CUT_SEED ?? 11);

let artifact: DeviceArtifact;
let buildDir: string;
beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), 'edgefleet-service-'));
  artifact = await assembleDeviceArtifact(buildDir);
});
afterAll(async () => {
  await rm(buildDir, { recursive: true, force: true });
});

let fleet: Fleet | undefined;
let service: UnitRun | undefined;
afterEach(async () => {
  await service?.stop();
  await fleet?.close();
  fleet = service = undefined;
});

interface Device {
  readonly deviceId: string;
  readonly stateDir: string;
  readonly httpPort: number;
  readonly installed: Awaited<ReturnType<typeof installDevice>>;
}

/** A fleet, one device running the service with iris v1 installed. */
async function deviceOnV1(): Promise<Device> {
  fleet = await startFleet();
  await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
  const { token } = expectStatus(
    await fleet.api.post<{ token: string }>('/v1/enrolment-tokens', { group: 'lab' }),
    201,
    'token',
  );
  const root = join(fleet.dir, 'device-root');
  const stateDir = join(root, 'state');
  const configPath = join(root, 'etc', 'agent.json');
  const httpPort = await freePort();
  await writeAgentConfig(configPath, {
    stateDir,
    rootPublicKeys: fleet.cp.rootPublicKeysHex,
    controlPlaneUrl: fleet.cp.httpUrl,
    enrolmentToken: token,
    httpApi: { port: httpPort },
    logLevel: 'warn',
    supervision: { healthTimeoutMs: 20_000, watchdogSec: 10, restartSec: 1, maxCrashStarts: 2 },
  });
  const install = await installDevice(artifact, {
    root,
    controlPlaneDataDir: join(fleet.dir, 'control-plane'),
    rootKeysHex: fleet.cp.rootPublicKeysHex,
  });
  service = await startService(install);
  const deviceId = await waitFor(
    async () =>
      (await fleet!.api.get<Array<{ deviceId: string; online: boolean }>>('/v1/devices')).body.find((d) => d.online)
        ?.deviceId,
    { what: 'the service to enrol and connect', timeoutMs: 30_000 },
  );
  expectStatus(await fleet.api.post('/v1/rollouts', { line: 'iris', version: 1, group: 'lab' }), 201, 'rollout iris');
  await waitFor(async () => (await installed(deviceId)).iris === 1, { what: 'iris v1', timeoutMs: 30_000 });
  return { deviceId, stateDir, httpPort, installed: install };
}

async function installed(deviceId: string): Promise<Record<string, number>> {
  const { body } = await fleet!.api.get<{ reported?: { installed?: Array<{ line: string; version: number }> } }>(
    `/v1/devices/${deviceId}`,
  );
  return Object.fromEntries((body.reported?.installed ?? []).map((m) => [m.line, m.version]));
}

async function agentRolloutActive(): Promise<boolean> {
  const { body } = await fleet!.api.get<{ line: string; state: string }[]>('/v1/rollouts');
  return body.some((r) => r.line === 'agent' && isRolloutState(r.state) && isActive(r.state));
}

async function releaseAndRollOut(bytes: Uint8Array): Promise<number> {
  const form = new FormData();
  form.set('bundle', new Blob([bytes]), 'agent.mjs');
  form.set('metadata', JSON.stringify({ chunkBytes: 128 * 1024 }));
  const release = expectStatus(
    await fleet!.api.postForm<{ version: number }>('/v1/agent-releases', form),
    201,
    'release',
  );
  // The device reporting the previous release does not end its rollout in the same instant: the control
  // plane records the report, then moves the member and completes the rollout. Until then the device is in
  // an active rollout of the line and a new one is refused (409).
  await waitFor(async () => !(await agentRolloutActive()), { what: 'the previous agent rollout to end' });
  expectStatus(
    await fleet!.api.post('/v1/rollouts', { line: 'agent', version: release.version, group: 'lab' }),
    201,
    'rollout agent',
  );
  return release.version;
}

/** The local inference API answers with iris: the agent on the device works. */
async function serves(device: Device): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${device.httpPort}/v1/models/iris/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: [iris.meta.sampleInputs[0]] }),
    signal: AbortSignal.timeout(2000),
  }).catch(() => null);
  return response?.status === 200;
}

/** Where a self-update to `target` was when the power went: read from the device's disk after the cut. */
async function updatePhase(stateDir: string, target: number): Promise<string> {
  const state = await releaseState(stateDir);
  if (state.current.startsWith(`v${target}-`)) return state.phase === 'trial' ? 'trial' : 'confirmed';
  const downloads = await readdir(join(stateDir, 'downloads')).catch(() => []);
  if (downloads.some((name) => name.endsWith('.part'))) return 'downloading';
  return 'before-download';
}

const releaseState = (stateDir: string) => createReleaseStore({ stateDir }).readState();

async function agentEvents(deviceId: string) {
  const { body } = await fleet!.api.get<
    Array<{ kind: string; line: string | null; version: number | null; error: { code: string } | null }>
  >(`/v1/devices/${deviceId}/events?limit=200`);
  return body.filter((e) => e.line === 'agent');
}

describe('agent self-update', () => {
  it('installs a release side by side, restarts into it, confirms it healthy and reports it', async () => {
    const device = await deviceOnV1();
    const version = await releaseAndRollOut(artifact.agentBytes);
    await waitFor(async () => (await installed(device.deviceId)).agent === version, {
      what: 'the device to report agent release v1',
      timeoutMs: 40_000,
    });
    const state = await releaseState(device.stateDir);
    expect(state).toMatchObject({ phase: 'confirmed', previous: null, outcome: { result: 'confirmed' } });
    expect(state.current).toMatch(new RegExp(`^v${version}-`));
    expect(await serves(device)).toBe(true);
    // systemd saw READY and watchdog pings from the agent itself (sd_notify through systemd-notify).
    expect(service?.notified.ready).toBeGreaterThanOrEqual(2);
    expect(service?.notified.watchdog).toBeGreaterThanOrEqual(2);
    await waitFor(async () => (await agentEvents(device.deviceId)).some((e) => e.kind === 'install-completed'), {
      what: 'install-completed for the release',
    });
    // A whole lifecycle (enrol, install, serve, self-update, restart) left no onnxruntime telemetry behind.
    const pids = [...(service?.pids ?? [])];
    await service?.stop();
    service = undefined;
    expect(pids.filter((pid) => existsSync(`/tmp/mat-debug-${pid}.log`))).toEqual([]);
    expect(existsSync(join(device.installed.root, '.cache'))).toBe(false);
  });

  it('reverts a broken build automatically, reports AGENT_UNHEALTHY and keeps the old agent serving', async () => {
    const device = await deviceOnV1();
    const broken = new TextEncoder().encode("throw new Error('this agent build is broken');\n");
    const version = await releaseAndRollOut(broken);
    const failed = await waitFor(
      async () =>
        (await agentEvents(device.deviceId)).find((e) => e.kind === 'install-failed' && e.version === version),
      { what: 'the broken release to be reported failed', timeoutMs: 40_000 },
    );
    expect(failed.error?.code).toBe('AGENT_UNHEALTHY');
    const state = await releaseState(device.stateDir);
    expect(state).toMatchObject({
      current: BASE_RELEASE,
      phase: 'confirmed',
      outcome: { result: 'reverted', reason: 'trial-failed' },
    });
    expect(state.outcome?.release).toMatch(new RegExp(`^v${version}-`));
    await waitFor(() => serves(device), { what: 'the restored agent to serve iris' });
    expect((await installed(device.deviceId)).agent).toBeUndefined();
    // Three trial starts that exited at once, then the base release.
    expect(service?.exits.filter((code) => code !== 0 && code !== 75).length).toBeGreaterThanOrEqual(3);
  });

  it('reverts a confirmed release that keeps crashing afterwards, and reports it', async () => {
    const device = await deviceOnV1();
    // The real agent, plus a crash a few seconds after every start: long enough to come online and be confirmed.
    const crashing = new TextEncoder().encode(
      `setTimeout(() => process.exit(3), 5000);\n${new TextDecoder().decode(artifact.agentBytes)}`,
    );
    const version = await releaseAndRollOut(crashing);
    await waitFor(async () => (await agentEvents(device.deviceId)).some((e) => e.kind === 'install-completed'), {
      what: 'the crashing release to be confirmed first',
      timeoutMs: 40_000,
    });
    const failed = await waitFor(
      async () =>
        (await agentEvents(device.deviceId)).find((e) => e.kind === 'install-failed' && e.version === version),
      { what: 'the crash-looping release to be reverted and reported', timeoutMs: 60_000 },
    );
    expect(failed.error?.code).toBe('AGENT_UNHEALTHY');
    expect(await releaseState(device.stateDir)).toMatchObject({
      current: BASE_RELEASE,
      outcome: { result: 'reverted', reason: 'crash-loop' },
    });
    await waitFor(() => serves(device), { what: 'the base release to serve iris' });
    expect(service?.exits.filter((code) => code === 3).length).toBe(3);
  });

  it(
    `always comes back with a working agent after power cuts at random points of self-updates (${TRIALS} trials, seed ${SEED})`,
    async () => {
      const device = await deviceOnV1();
      const random = mulberry32(SEED);
      // One clean update measures how long an update takes; the cuts land anywhere in that span.
      const started = Date.now();
      let target = await releaseAndRollOut(artifact.agentBytes);
      await waitFor(async () => (await installed(device.deviceId)).agent === target, {
        what: 'a clean update',
        timeoutMs: 40_000,
      });
      const spanMs = (Date.now() - started) * 1.2;
      const outcomes = { updated: 0, reverted: 0 };
      const cutDuring: Record<string, number> = {};
      for (let trial = 0; trial < TRIALS; trial++) {
        target = await releaseAndRollOut(artifact.agentBytes);
        await new Promise((resolve) => setTimeout(resolve, random() * spanMs));
        await service?.powerCut();
        const phase = await updatePhase(device.stateDir, target);
        cutDuring[phase] = (cutDuring[phase] ?? 0) + 1;
        service = await startService(device.installed);
        await waitFor(() => serves(device), {
          what: `trial ${trial}: a working agent after the power cut`,
          timeoutMs: 30_000,
        });
        // It finishes the update, or (a cut during every trial attempt) reverts it and says so.
        const settled = await waitFor(
          async () => {
            if ((await installed(device.deviceId)).agent === target) return 'updated';
            const { outcome } = await releaseState(device.stateDir);
            return outcome?.result === 'reverted' && outcome.release.startsWith(`v${target}-`) && 'reverted';
          },
          { what: `trial ${trial}: release v${target} to be confirmed or reverted`, timeoutMs: 40_000 },
        );
        outcomes[settled] += 1;
        expect(await serves(device)).toBe(true);
      }
      expect(outcomes.updated + outcomes.reverted).toBe(TRIALS);
      console.info(`power cuts: ${JSON.stringify({ trials: TRIALS, seed: SEED, ...outcomes, cutDuring })}`);
    },
    (TRIALS + 2) * 20_000,
  );
});
