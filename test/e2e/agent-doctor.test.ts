/**
 * `edgefleet-agent doctor`: it fails on an unreachable broker and on a clock skewed against the control
 * plane, on a full disk, and passes on an enrolled device whose installed model verifies — with the exit
 * codes the README documents.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigFile, parseConfig, runDoctor, type SystemStats } from '@edgefleet/agent';
import { freePort, tempDirs } from '@edgefleet/test-kit';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const BIN = fileURLToPath(new URL('../node_modules/@edgefleet/agent/bin/edgefleet-agent.js', import.meta.url));
const ROOT_KEY = 'ab'.repeat(32);
const temp = tempDirs();
let server: Server | undefined;
let fleet: Fleet | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  await fleet?.close();
  fleet = undefined;
  await temp.cleanup();
});

async function config(fields: Record<string, unknown> = {}): Promise<ConfigFile> {
  return parseConfig({ stateDir: await temp.make(), rootPublicKeys: [ROOT_KEY], ...fields }, '/');
}

/** A stand-in control plane whose /v1/health reports a clock `offsetMs` away from ours. */
async function healthServer(offsetMs: number): Promise<string> {
  server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ status: 'ok', time: Date.now() + offsetMs }));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const statusOf = (report: Awaited<ReturnType<typeof runDoctor>>, name: string) =>
  report.checks.find((c) => c.name === name)?.status;

describe('doctor', () => {
  it('fails when the broker cannot be reached', async () => {
    const report = await runDoctor({ config: await config({ mqttUrl: `mqtt://127.0.0.1:${await freePort()}` }) });
    expect(statusOf(report, 'broker')).toBe('fail');
    expect(report.ok).toBe(false);
  });

  it('fails on a clock skewed beyond the limit against the control plane, and passes within it', async () => {
    const skewed = await runDoctor({
      config: await config({ controlPlaneUrl: await healthServer(-120_000) }),
      maxSkewMs: 30_000,
    });
    const clock = skewed.checks.find((c) => c.name === 'clock');
    expect(clock?.status).toBe('fail');
    expect(clock?.detail).toMatch(/ahead of the control plane by 1[12]\d{4} ms/);
    await new Promise((resolve) => server?.close(resolve));
    const fine = await runDoctor({
      config: await config({ controlPlaneUrl: await healthServer(2000) }),
      maxSkewMs: 30_000,
    });
    expect(statusOf(fine, 'clock')).toBe('ok');
  });

  it('fails when the disk under the state dir has less free space than the install reserve', async () => {
    const full: SystemStats = { freeDiskBytes: async () => 10 * 1024 * 1024, availableMemoryBytes: () => 1e9 };
    const report = await runDoctor({ config: await config(), stats: full });
    expect(statusOf(report, 'disk')).toBe('fail');
  });

  it('passes on an enrolled device whose installed model verifies, with the real broker and control plane', async () => {
    const iris = buildIrisModels();
    fleet = await startFleet({ agents: 1 });
    await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
    await rolloutAndWait(fleet, { line: 'iris', version: 1 });
    const stateDir = join(fleet.dir, 'agent-0');
    const report = await runDoctor({
      config: parseConfig(
        { stateDir, rootPublicKeys: fleet.cp.rootPublicKeysHex, controlPlaneUrl: fleet.cp.httpUrl },
        '/',
      ),
    });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual(
      expect.arrayContaining([
        ['enrolment', 'ok'],
        ['broker', 'ok'],
        ['clock', 'ok'],
        ['runtime', 'ok'],
        ['model:iris', 'ok'],
      ]),
    );
  });

  it('exits 1 with --json naming the failed check, and 2 on a bad config', async () => {
    const path = join(await temp.make(), 'agent.json');
    const cfg = await config({ mqttUrl: `mqtt://127.0.0.1:${await freePort()}` });
    await writeFile(path, JSON.stringify(cfg));
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const result = await run(['--config', path, '--json']);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'broker')?.status).toBe('fail');
    await writeFile(path, '{"stateDir": 3}');
    expect((await run(['--config', path])).code).toBe(2);
  });
});
