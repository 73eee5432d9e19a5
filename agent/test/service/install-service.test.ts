/**
 * `edgefleet-agent install-service`: the systemd unit starts the launcher (not the agent) with restart on
 * failure, a memory limit and journald output, and passes `systemd-analyze verify` where systemd is
 * installed; the config file carries every default and validates; an operator's existing config is never
 * overwritten; the bundled agent runs from the prefix with its native modules.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { parseConfig } from '../../src/config-file.js';
import { installService } from '../../src/service/install-service.js';

const run = promisify(execFile);
const temp = tempDirs();
afterEach(() => temp.cleanup());

const hasSystemdAnalyze = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);

async function install(dir: string) {
  return installService({
    prefix: join(dir, 'opt'),
    unitDir: join(dir, 'unit'),
    configDir: join(dir, 'etc'),
    stateDir: join(dir, 'state'),
    nodePath: process.execPath,
    memoryMax: '192M',
    rootPublicKeys: ['cd'.repeat(32)],
    controlPlaneUrl: 'http://cp.example:8080',
  });
}

/** `Key=value` lines of the unit, per key (a key may repeat). */
function directives(unit: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of unit.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) map.set(match[1] as string, [...(map.get(match[1] as string) ?? []), match[2] as string]);
  }
  return map;
}

describe('install-service', () => {
  it('writes a unit that runs the launcher, restarts it, caps its memory and logs to journald', async () => {
    const dir = await temp.make();
    const installed = await install(dir);
    const unit = await readFile(installed.unitPath, 'utf8');
    const d = directives(unit);
    expect(d.get('ExecStart')).toEqual([
      `${process.execPath} ${installed.launcherPath} --config ${installed.configPath} --base ${installed.agentPath}`,
    ]);
    expect(d.get('Restart')).toEqual(['always']);
    expect(d.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(d.get('MemoryMax')).toEqual(['192M']);
    expect(d.get('StandardOutput')).toEqual(['journal']);
    expect(d.get('KillMode')).toEqual(['control-group']);
    expect(d.get('ReadWritePaths')).toEqual([join(dir, 'state')]);
    expect(d.get('WantedBy')).toEqual(['multi-user.target']);
    if (hasSystemdAnalyze) await run('systemd-analyze', ['verify', installed.unitPath]);
  });

  it('writes a config with every default that the agent accepts, and documents it', async () => {
    const dir = await temp.make();
    const installed = await install(dir);
    const config = parseConfig(JSON.parse(await readFile(installed.configPath, 'utf8')), '/');
    expect(config).toMatchObject({
      stateDir: join(dir, 'state'),
      controlPlaneUrl: 'http://cp.example:8080',
      telemetry: { ...DEFAULTS.telemetry },
      resources: { ...DEFAULTS.resources },
      launcher: { ...DEFAULTS.launcher },
    });
    const doc = await readFile(join(dir, 'etc', 'agent.json.md'), 'utf8');
    for (const field of ['resources', 'launcher', 'telemetry', 'heartbeatMs']) expect(doc).toContain(field);
  });

  it('keeps an existing config file as the operator wrote it', async () => {
    const dir = await temp.make();
    const first = await install(dir);
    await writeFile(first.configPath, '{"operator": "edited"}\n');
    const second = await install(dir);
    expect(second.configWritten).toBe(false);
    expect(await readFile(first.configPath, 'utf8')).toBe('{"operator": "edited"}\n');
  });

  it('installs a bundled agent that runs from the prefix with its native modules (doctor loads onnxruntime)', async () => {
    const dir = await temp.make();
    const installed = await install(dir);
    const { stdout } = await run(process.execPath, [
      installed.agentPath,
      'doctor',
      '--config',
      installed.configPath,
      '--json',
    ]).catch((error: { stdout: string }) => error);
    const report = JSON.parse(stdout) as { checks: Array<{ name: string; status: string }> };
    expect(report.checks.find((c) => c.name === 'runtime')?.status).toBe('ok');
  });
});
