/**
 * `install-service` from a release artifact: it installs only an artifact whose `release.cbor` is signed
 * by the targets key under the pinned root and whose files all match their digests, built for this
 * architecture and Node ABI; it writes `<prefix>/<version>-<arch>` behind a `current` link (the previous
 * install kept, older ones pruned), a systemd unit supervised by systemd itself (notify, watchdog, the start
 * step, restart on failure) that passes `systemd-analyze verify` where systemd is installed, and a config
 * with every default; an operator's config is never overwritten. The real artifact is installed and run in
 * test/e2e/self-update.test.ts; this one is a small hand-made tree with a real signature.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildRootDocument, generateSigningKey, type RootKeys } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { parseConfig } from '../../src/config-file.js';
import { createReleaseStore } from '../../src/self-update/release-store.js';
import { installService } from '../../src/service/install-service.js';
import { type AssembledArtifact, signArtifact } from '../../src/service/release-artifact.js';

const run = promisify(execFile);
const temp = tempDirs();
afterEach(() => temp.cleanup());

const hasSystemdAnalyze = await run('systemd-analyze', ['--version']).then(
  () => true,
  () => false,
);
const START_STEP = fileURLToPath(new URL('../../service/select-release.sh', import.meta.url));

const keys: RootKeys = {
  root: [generateSigningKey()],
  targets: [generateSigningKey()],
  director: [generateSigningKey()],
};
const roots = [buildRootDocument({ keys, version: 1, issuedAt: Date.now(), expiresAt: Date.now() + 86_400_000 })];
const rootHex = Buffer.from(keys.root[0]?.publicKey as Uint8Array).toString('hex');

/** A tiny artifact tree with a real signature: what install-service checks does not depend on the size. */
async function artifact(dir: string, version = '1.2.3', signers = keys.targets): Promise<AssembledArtifact> {
  const name = `edgefleet-agent-${version}-linux-${process.arch}`;
  const tree = join(dir, name);
  await mkdir(join(tree, 'node_modules', 'x'), { recursive: true });
  await writeFile(join(tree, 'agent.mjs'), 'console.log("agent");\n');
  await writeFile(join(tree, 'node_modules', 'x', 'index.js'), 'module.exports = 1;\n');
  await cp(START_STEP, join(tree, 'select-release.sh'));
  const assembled = { name, dir: tree, version, arch: process.arch, nodeAbi: process.versions.modules };
  await signArtifact(assembled, { signers, roots });
  return assembled;
}

function install(dir: string, from: string, overrides: Partial<Parameters<typeof installService>[0]> = {}) {
  return installService({
    artifactDir: from,
    prefix: join(dir, 'opt'),
    unitDir: join(dir, 'unit'),
    configDir: join(dir, 'etc'),
    stateDir: join(dir, 'state'),
    nodePath: process.execPath,
    memoryMax: '192M',
    rootPublicKeys: [rootHex],
    controlPlaneUrl: 'http://cp.example:8080',
    ...overrides,
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
  it('writes a unit where systemd supervises the agent: notify, watchdog, start step, restart on failure', async () => {
    const dir = await temp.make();
    const installed = await install(dir, (await artifact(dir)).dir);
    const d = directives(await readFile(installed.unitPath, 'utf8'));
    const base = join(dir, 'opt', 'current');
    expect(d.get('Type')).toEqual(['notify']);
    expect(d.get('WatchdogSec')).toEqual([String(DEFAULTS.supervision.watchdogSec)]);
    expect(d.get('ExecStartPre')).toEqual([
      `/bin/sh ${base}/select-release.sh ${join(dir, 'state')} ${base} ${DEFAULTS.supervision.maxTrialStarts} ${DEFAULTS.supervision.maxCrashStarts}`,
    ]);
    expect(d.get('ExecStart')).toEqual([
      `${process.execPath} ${DEFAULTS.supervision.nodeArgs.join(' ')} ${join(dir, 'state', 'releases', 'active', 'agent.mjs')} run --config ${installed.configPath}`,
    ]);
    expect(d.get('Restart')).toEqual(['on-failure']);
    expect(d.get('StartLimitIntervalSec')).toEqual(['0']);
    expect(d.get('MemoryMax')).toEqual(['192M']);
    expect(d.get('Environment')).toContain(`EDGEFLEET_SERVICE_BASE=${base}`);
    expect(d.get('Environment')).toContain('ORT_DISABLE_TELEMETRY=1');
    expect(d.get('ReadWritePaths')).toEqual([join(dir, 'state')]);
    if (hasSystemdAnalyze) await run('systemd-analyze', ['verify', installed.unitPath]);
  });

  it('copies the verified files into a versioned dir behind a current link, keeping one previous install', async () => {
    const dir = await temp.make();
    for (const version of ['1.0.0', '1.1.0', '1.2.0']) await install(dir, (await artifact(dir, version)).dir);
    const opt = join(dir, 'opt');
    expect(await readlink(join(opt, 'current'))).toBe(`1.2.0-${process.arch}`);
    expect((await readdir(opt)).sort()).toEqual(
      ['1.1.0-x64', '1.2.0-x64', 'current'].map((n) => n.replace('x64', process.arch)),
    );
    expect(await readFile(join(opt, 'current', 'node_modules', 'x', 'index.js'), 'utf8')).toBe('module.exports = 1;\n');
    // Installing an artifact makes it the running release.
    expect(await createReleaseStore({ stateDir: join(dir, 'state') }).readState()).toMatchObject({ current: 'base' });
  });

  it('refuses an artifact signed by another key, a tampered file, or another architecture, installing nothing', async () => {
    const dir = await temp.make();
    const foreign = await artifact(join(dir, 'a'), '1.0.0', [generateSigningKey()]);
    await expect(install(dir, foreign.dir)).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' });
    const tampered = await artifact(join(dir, 'b'));
    await writeFile(join(tampered.dir, 'agent.mjs'), 'process.exit(1);\n');
    await expect(install(dir, tampered.dir)).rejects.toMatchObject({ code: 'BUNDLE_HASH_MISMATCH' });
    const other = await artifact(join(dir, 'c'));
    await expect(install(dir, other.dir, { arch: 'riscv64' })).rejects.toThrow(
      /built for linux\/.* this machine is linux\/riscv64/,
    );
    await expect(install(dir, join(dir, 'nothing-here'))).rejects.toThrow(/not an unpacked release artifact/);
    await expect(readdir(join(dir, 'opt'))).rejects.toThrow();
  });

  it('writes a config with every default that the agent accepts, and documents it', async () => {
    const dir = await temp.make();
    const installed = await install(dir, (await artifact(dir)).dir);
    const config = parseConfig(JSON.parse(await readFile(installed.configPath, 'utf8')), '/');
    expect(config).toMatchObject({
      stateDir: join(dir, 'state'),
      controlPlaneUrl: 'http://cp.example:8080',
      telemetry: { ...DEFAULTS.telemetry },
      resources: { ...DEFAULTS.resources },
      supervision: { ...DEFAULTS.supervision },
    });
    const doc = await readFile(join(dir, 'etc', 'agent.json.md'), 'utf8');
    for (const field of ['resources', 'supervision', 'telemetry', 'watchdogSec']) expect(doc).toContain(field);
  });

  it("keeps an operator's config, takes its root keys, state dir and supervision settings", async () => {
    const dir = await temp.make();
    const tree = (await artifact(dir)).dir;
    const first = await install(dir, tree);
    const edited = JSON.parse(await readFile(first.configPath, 'utf8')) as Record<string, unknown>;
    edited.stateDir = join(dir, 'elsewhere');
    edited.supervision = { watchdogSec: 17 };
    const text = `${JSON.stringify(edited)}\n`;
    await writeFile(first.configPath, text);
    const second = await install(dir, tree, { rootPublicKeys: [] });
    expect(second.configWritten).toBe(false);
    expect(second.stateDir).toBe(join(dir, 'elsewhere'));
    expect(await readFile(first.configPath, 'utf8')).toBe(text);
    expect(directives(await readFile(second.unitPath, 'utf8')).get('WatchdogSec')).toEqual(['17']);
  });
});
