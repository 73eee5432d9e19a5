/**
 * The `edgefleet-agent` command as a user runs it: bad config files exit 2 naming the field; a good one
 * enrols with a real control plane, logs JSON to stdout, serves the local HTTP API and stops cleanly on
 * SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { expectStatus, type Fleet, startFleet } from '../src/index.js';

const BIN = fileURLToPath(new URL('../node_modules/@edgefleet/agent/bin/edgefleet-agent.js', import.meta.url));
const temp = tempDirs();
let fleet: Fleet | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await fleet?.close();
  fleet = undefined;
  await temp.cleanup();
});

function run(args: string[]): {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
} {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number>((resolve) => proc.on('exit', (code) => resolve(code ?? -1)));
  return { proc, stdout: () => out, stderr: () => err, exit };
}

describe('edgefleet-agent CLI', () => {
  it('exits 2 and names the bad field of an invalid config file', async () => {
    const path = join(await temp.make(), 'agent.json');
    await writeFile(path, JSON.stringify({ stateDir: 's', rootPublicKeys: ['ab'.repeat(32)], httpApi: { port: -1 } }));
    const cli = run(['--config', path]);
    expect(await cli.exit).toBe(2);
    expect(cli.stderr()).toMatch(/httpApi\.port/);
  });

  it('enrols, serves the local HTTP API and stops on SIGTERM with exit 0', async () => {
    fleet = await startFleet({ controlPlane: { logger: pino({ level: 'silent' }) } });
    const { token } = expectStatus(
      await fleet.api.post<{ token: string }>('/v1/enrolment-tokens', { group: 'lab' }),
      201,
      'token',
    );
    const dir = await temp.make();
    const path = join(dir, 'agent.json');
    await writeFile(
      path,
      JSON.stringify({
        stateDir: './state',
        rootPublicKeys: fleet.cp.rootPublicKeysHex,
        controlPlaneUrl: fleet.cp.httpUrl,
        enrolmentToken: token,
        httpApi: { port: 0 },
        logLevel: 'info',
      }),
    );
    const cli = run(['--config', path]);
    let httpUrl: string | undefined;
    const deadline = Date.now() + 20_000;
    while (httpUrl === undefined && Date.now() < deadline) {
      const started = cli
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg?: string; httpUrl?: string })
        .find((l) => l.msg === 'agent started');
      httpUrl = started?.httpUrl;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const health = (await (await fetch(`${httpUrl}/v1/health`)).json()) as { deviceId: string };
    expect(health.deviceId).toMatch(/^dev-/);
    cli.proc.kill('SIGTERM');
    expect(await cli.exit).toBe(0);
    expect(cli.stdout()).toContain('"msg":"agent stopped"');
  });
});
