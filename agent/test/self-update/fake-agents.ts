/**
 * Stand-in agent builds for launcher tests: tiny ESM scripts that behave like a healthy agent (IPC health
 * reports and heartbeats), a crashing build, a silent one, or one that hangs after its first report —
 * each appends `<name> <pid>` to `starts.log` when it starts, so a test can see which build the launcher ran,
 * and exits 75 on SIGUSR2 as the real agent does after staging a release.
 * Real processes and the real release store; only the agent inside is fake.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '@edgefleet/protocol';
import type { LauncherSettings } from '../../src/self-update/launcher.js';
import { createReleaseStore, type ReleaseRef } from '../../src/self-update/release-store.js';

export type FakeBehaviour = 'healthy' | 'crash' | 'silent' | 'hang-after-first-report';

export const FAST_LAUNCHER: LauncherSettings = Object.freeze({
  healthTimeoutMs: 3000,
  watchdogMs: 1500,
  maxTrialAttempts: 2,
  restartDelayMs: 50,
  maxRestartDelayMs: 400,
  stopTimeoutMs: 2000,
  nodeArgs: [],
});

export function fakeAgentSource(name: string, behaviour: FakeBehaviour, logPath: string): string {
  const report = "process.send?.({ type: 'health', connection: 'online', models: 1 })";
  const body = {
    healthy: `${report}; setInterval(() => ${report}, 100);`,
    crash: 'process.exit(1);',
    silent: 'setInterval(() => {}, 1000);',
    'hang-after-first-report': `${report}; setInterval(() => {}, 1000);`,
  }[behaviour];
  return `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(logPath)}, \`${name} \${process.pid}\\n\`);
process.on('disconnect', () => process.exit(0));
// What the real agent does after staging a release: exit 75, "restart me into it".
process.on('SIGUSR2', () => process.exit(75));
process.on('SIGTERM', () => process.exit(0));
// ${randomBytes(8).toString('hex')}: every build has its own digest
${body}
`;
}

async function startLines(logPath: string): Promise<string[][]> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(' '));
}

/** The builds the launcher started, in order. */
export async function starts(logPath: string): Promise<string[]> {
  return (await startLines(logPath)).map(([name]) => name ?? '');
}

/** The pid of the last build started. */
export async function lastPid(logPath: string): Promise<number> {
  return Number((await startLines(logPath)).at(-1)?.[1]);
}

/** Writes a fake build as release `version` in the store under `stateDir`; returns its ref. */
export async function writeFakeRelease(options: {
  stateDir: string;
  version: number;
  behaviour: FakeBehaviour;
  logPath: string;
}): Promise<ReleaseRef> {
  const source = fakeAgentSource(`v${options.version}`, options.behaviour, options.logPath);
  const bundlePath = join(options.stateDir, `build-${options.version}.mjs`);
  await writeFile(bundlePath, source);
  return createReleaseStore({ stateDir: options.stateDir }).write({
    version: options.version,
    digest: sha256Hex(new TextEncoder().encode(source)),
    bundlePath,
    manifestCbor: new Uint8Array([0xa0]),
    nativeModules: {},
  });
}
