/**
 * `pnpm bench` (footprint part): the agent as a device runs it, with one model (iris) loaded.
 *  1. Idle for FOOTPRINT_IDLE_SEC (60 s) after a settle period: RSS (VmRSS, sampled each second) and CPU
 *     (utime + stime over the window) from /proc of — the baseline, a bare idle `node` — the agent started
 *     from the checkout's bin, and the device service: the release artifact installed by its own
 *     install-service and run from its systemd unit (systemd supervises it directly, so the agent is all
 *     edgefleet runs on the device); plus the MQTT messages each device published in the window. The total
 *     is compared with the previous design (a Node launcher process beside the agent), measured before it
 *     was replaced.
 *  1b. Cold start of the service with the model on disk: unit start to the first prediction served.
 *  2. Memory growth over FOOTPRINT_INFERENCES (100k) inferences after full GCs, raw onnxruntime vs the
 *     agent's paths, in a child with --expose-gc (footprint-inference.ts).
 * Goals: idle RSS ≤ 80 MB (judged on VmRSS and, apart, on its private part RssAnon — see
 * proc-sampler.ts), idle CPU < 1 % of a core, growth < 5 MB. Writes
 * bench-results/footprint.json and prints it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { startAgentProcess, writeAgentConfig } from '../src/agent-process.js';
import {
  assembleDeviceArtifact,
  expectStatus,
  type Fleet,
  freePort,
  installDevice,
  registerModel,
  startFleet,
  startService,
  waitFor,
} from '../src/index.js';
import { sampleIdle } from './proc-sampler.js';

const IDLE_SEC = Number(process.env.FOOTPRINT_IDLE_SEC ?? 60);
const SETTLE_SEC = Number(process.env.FOOTPRINT_SETTLE_SEC ?? 15);
const GOALS = Object.freeze({ idleRssMb: 80, idleCpuPercentOfCore: 1, growthMb: 5 });
/**
 * The previous design, measured on this machine with this bench on 2026-12-08 (FOOTPRINT_IDLE_SEC=15) before
 * it was replaced: the bundled agent (106.2 MB mean VmRSS) under a Node launcher (49.4 MB).
 */
const BEFORE = Object.freeze({
  design: 'bundled agent under a Node launcher',
  agentMb: 106.2,
  launcherMb: 49.4,
  totalMb: 155.6,
});
const iris = buildIrisModels();

/** A fleet with iris v1 registered and a config file for one device that will enrol with it. */
async function fleetWithDevice(
  dir: string,
  configPath = join(dir, 'agent.json'),
): Promise<{ fleet: Fleet; configPath: string; httpPort: number }> {
  const fleet = await startFleet({ dir });
  await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
  const { token } = expectStatus(
    await fleet.api.post<{ token: string }>('/v1/enrolment-tokens', { group: 'lab' }),
    201,
    'token',
  );
  const httpPort = await freePort();
  await writeAgentConfig(configPath, {
    stateDir: join(dir, 'device'),
    rootPublicKeys: fleet.cp.rootPublicKeysHex,
    controlPlaneUrl: fleet.cp.httpUrl,
    enrolmentToken: token,
    httpApi: { port: httpPort },
    logLevel: 'warn',
    ...(process.env.FOOTPRINT_NODE_ARGS === undefined
      ? {}
      : { supervision: { nodeArgs: process.env.FOOTPRINT_NODE_ARGS.split(' ').filter((a) => a.length > 0) } }),
  });
  return { fleet, configPath, httpPort };
}

async function installIris(fleet: Fleet): Promise<void> {
  const online = async () =>
    (await fleet.api.get<Array<{ deviceId: string; online: boolean }>>('/v1/devices')).body.find((d) => d.online);
  const device = await waitFor(online, { what: 'the device to connect', timeoutMs: 60_000 });
  expectStatus(await fleet.api.post('/v1/rollouts', { line: 'iris', version: 1, group: 'lab' }), 201, 'rollout');
  await waitFor(
    async () => {
      const { body } = await fleet.api.get<{ reported?: { installed?: Array<{ line: string }> } }>(
        `/v1/devices/${device.deviceId}`,
      );
      return body.reported?.installed?.some((m) => m.line === 'iris');
    },
    { what: 'iris to be installed', timeoutMs: 60_000 },
  );
}

const messages = (fleet: Fleet) => Object.values(fleet.cp.metrics.snapshot().messagesByKind).reduce((a, b) => a + b, 0);

const predicts = async (port: number) =>
  (
    await fetch(`http://127.0.0.1:${port}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [iris.meta.sampleInputs[0]] }),
      signal: AbortSignal.timeout(2000),
    }).catch(() => null)
  )?.status === 200;

async function idle(dir: string) {
  const checkout = await fleetWithDevice(join(dir, 'checkout'));
  const root = join(dir, 'device-root');
  const device = await fleetWithDevice(join(dir, 'service'), join(root, 'etc', 'agent.json'));
  const artifact = await assembleDeviceArtifact(join(dir, 'build'));
  const installed = await installDevice(artifact, {
    root,
    controlPlaneDataDir: join(device.fleet.dir, 'control-plane'),
    rootKeysHex: device.fleet.cp.rootPublicKeysHex,
  });
  const agentProcess = startAgentProcess(checkout.configPath);
  let service = await startService(installed);
  const baseline: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await Promise.all([installIris(checkout.fleet), installIris(device.fleet)]);
    // Cold start with the model on disk: the unit's start step, node, the agent, the model's self-test.
    await service.stop();
    const coldStarted = performance.now();
    service = await startService(installed);
    await waitFor(() => predicts(device.httpPort), { what: 'the first prediction after a cold start', intervalMs: 10 });
    const coldStartToFirstPredictionMs = Math.round(performance.now() - coldStarted);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SEC * 1000));
    const before = [messages(checkout.fleet), messages(device.fleet)];
    const footprint = await sampleIdle(
      {
        'baseline: bare node, idle': baseline.pid as number,
        'agent from the checkout bin': agentProcess.child.pid as number,
        'device service: agent from the release artifact under systemd': service.mainPid() as number,
      },
      IDLE_SEC,
    );
    const published = {
      'agent from the checkout bin': messages(checkout.fleet) - (before[0] ?? 0),
      'device service': messages(device.fleet) - (before[1] ?? 0),
    };
    return {
      idleSec: IDLE_SEC,
      settleSec: SETTLE_SEC,
      coldStartToFirstPredictionMs,
      footprint,
      mqttMessagesPublishedInWindow: published,
    };
  } finally {
    baseline.kill('SIGKILL');
    await agentProcess.kill('SIGTERM');
    await service.stop();
    await checkout.fleet.close();
    await device.fleet.close();
  }
}

async function inferenceGrowth() {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'bench/footprint-inference.ts'],
    { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, EDGEFLEET_LOG_LEVEL: 'silent' } },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as Array<{
    label: string;
    rssGrowthMb: number;
    heapGrowthMb: number;
  }>;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-footprint-'));
  try {
    const idleResult = await idle(dir);
    const growth = await inferenceGrowth();
    const deviceIdle = idleResult.footprint['device service: agent from the release artifact under systemd'];
    const agentGrowth = growth.filter((g) => g.label.startsWith('agent'));
    const result = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      arch: process.arch,
      goals: GOALS,
      idle: idleResult,
      deviceTotal: {
        before: BEFORE,
        after: { design: 'agent under systemd (no second process)', totalMb: deviceIdle?.rssMeanMb ?? null },
      },
      inferenceGrowth: growth,
      verdict: {
        idleRssOk: (deviceIdle?.rssMaxMb ?? Infinity) <= GOALS.idleRssMb,
        // VmRSS counts the pages of node's and onnxruntime's shared libraries; the private part is the agent's own.
        idlePrivateRssOk: (deviceIdle?.rssAnonMeanMb ?? Infinity) <= GOALS.idleRssMb,
        idleCpuOk: (deviceIdle?.cpuPercentOfCore ?? Infinity) < GOALS.idleCpuPercentOfCore,
        noLeak: agentGrowth.every((g) => Math.max(g.rssGrowthMb, g.heapGrowthMb) < GOALS.growthMb),
      },
    };
    const out = join(process.cwd(), '..', 'bench-results');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'footprint.json'), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
