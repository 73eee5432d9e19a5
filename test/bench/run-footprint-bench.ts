/**
 * `pnpm bench` (footprint part): the agent as a device runs it, with one model (iris) loaded.
 *  1. Idle for FOOTPRINT_IDLE_SEC (60 s) after a settle period: RSS (VmRSS, sampled each second) and CPU
 *     (utime + stime over the window) from /proc of — the baseline, a bare idle `node` — the agent started
 *     through tsx (the checkout's bin), the bundled agent under the launcher (how install-service runs
 *     it), and the launcher itself; plus the MQTT messages each device published in the window.
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
  buildService,
  expectStatus,
  type Fleet,
  freePort,
  registerModel,
  startFleet,
  startService,
  waitFor,
} from '../src/index.js';
import { childPids, sampleIdle } from './proc-sampler.js';

const IDLE_SEC = Number(process.env.FOOTPRINT_IDLE_SEC ?? 60);
const SETTLE_SEC = Number(process.env.FOOTPRINT_SETTLE_SEC ?? 15);
const GOALS = Object.freeze({ idleRssMb: 80, idleCpuPercentOfCore: 1, growthMb: 5 });
const iris = buildIrisModels();

/** A fleet with iris v1 registered and a config file for one device that will enrol with it. */
async function fleetWithDevice(dir: string): Promise<{ fleet: Fleet; configPath: string }> {
  const fleet = await startFleet({ dir });
  await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
  const { token } = expectStatus(
    await fleet.api.post<{ token: string }>('/v1/enrolment-tokens', { group: 'lab' }),
    201,
    'token',
  );
  const configPath = join(dir, 'agent.json');
  await writeAgentConfig(configPath, {
    stateDir: join(dir, 'device'),
    rootPublicKeys: fleet.cp.rootPublicKeysHex,
    controlPlaneUrl: fleet.cp.httpUrl,
    enrolmentToken: token,
    httpApi: { port: await freePort() },
    logLevel: 'warn',
    ...(process.env.FOOTPRINT_NODE_ARGS === undefined
      ? {}
      : { launcher: { nodeArgs: process.env.FOOTPRINT_NODE_ARGS.split(' ').filter((a) => a.length > 0) } }),
  });
  return { fleet, configPath };
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

async function idle(dir: string) {
  const tsx = await fleetWithDevice(join(dir, 'tsx'));
  const bundled = await fleetWithDevice(join(dir, 'bundled'));
  const build = await buildService(join(dir, 'build'));
  const agentProcess = startAgentProcess(tsx.configPath);
  const service = startService(build, bundled.configPath);
  const baseline: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    await Promise.all([installIris(tsx.fleet), installIris(bundled.fleet)]);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SEC * 1000));
    const agentPid = (await childPids(service.child.pid as number))[0] as number;
    const before = [messages(tsx.fleet), messages(bundled.fleet)];
    const footprint = await sampleIdle(
      {
        'baseline: bare node, idle': baseline.pid as number,
        'agent via tsx (checkout bin)': agentProcess.child.pid as number,
        'agent bundled (esbuild), under the launcher': agentPid,
        launcher: service.child.pid as number,
      },
      IDLE_SEC,
    );
    const published = {
      'agent via tsx (checkout bin)': messages(tsx.fleet) - (before[0] ?? 0),
      'agent bundled (esbuild), under the launcher': messages(bundled.fleet) - (before[1] ?? 0),
    };
    return { idleSec: IDLE_SEC, settleSec: SETTLE_SEC, footprint, mqttMessagesPublishedInWindow: published };
  } finally {
    baseline.kill('SIGKILL');
    await agentProcess.kill('SIGTERM');
    await service.stop();
    await tsx.fleet.close();
    await bundled.fleet.close();
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
    const bundledIdle = idleResult.footprint['agent bundled (esbuild), under the launcher'];
    const agentGrowth = growth.filter((g) => g.label.startsWith('agent'));
    const result = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      arch: process.arch,
      goals: GOALS,
      idle: idleResult,
      inferenceGrowth: growth,
      verdict: {
        idleRssOk: (bundledIdle?.rssMaxMb ?? Infinity) <= GOALS.idleRssMb,
        // VmRSS counts the pages of node's and onnxruntime's shared libraries; the private part is the agent's own.
        idlePrivateRssOk: (bundledIdle?.rssAnonMeanMb ?? Infinity) <= GOALS.idleRssMb,
        idleCpuOk: (bundledIdle?.cpuPercentOfCore ?? Infinity) < GOALS.idleCpuPercentOfCore,
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
