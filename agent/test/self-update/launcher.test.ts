/**
 * The launcher as systemd runs it, with stand-in agent builds as real child processes: a staged release is
 * tried and confirmed when it reports online, reverted when it crashes, stays silent or is damaged, trial
 * attempts survive launcher deaths, a hung agent is restarted by the watchdog.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs, waitFor } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLauncher, type Launcher } from '../../src/self-update/launcher.js';
import { createReleaseStore } from '../../src/self-update/release-store.js';
import {
  FAST_LAUNCHER,
  type FakeBehaviour,
  fakeAgentSource,
  lastPid,
  starts,
  writeFakeRelease,
} from './fake-agents.js';

const temp = tempDirs();
let running: { launcher: Launcher; done: Promise<number> } | undefined;
afterEach(async () => {
  running?.launcher.stop();
  await running?.done;
  running = undefined;
  await temp.cleanup();
});

async function setup(base: FakeBehaviour = 'healthy') {
  const stateDir = await temp.make();
  const logPath = join(stateDir, 'starts.log');
  const baseEntry = join(stateDir, 'base.mjs');
  await writeFile(baseEntry, fakeAgentSource('base', base, logPath));
  const store = createReleaseStore({ stateDir });
  const launch = () => {
    const launcher = createLauncher({
      store,
      baseEntry,
      agentArgs: [],
      settings: FAST_LAUNCHER,
      logger: pino({ level: 'silent' }),
    });
    running = { launcher, done: launcher.run() };
    return running;
  };
  const release = (version: number, behaviour: FakeBehaviour) =>
    writeFakeRelease({ stateDir, version, behaviour, logPath });
  return { stateDir, logPath, store, launch, release };
}

describe('launcher', () => {
  it('restarts into a staged release when the agent exits 75, and confirms it once it reports online', async () => {
    const { logPath, store, launch, release } = await setup();
    launch();
    await waitFor(async () => (await starts(logPath)).includes('base'), { what: 'the base agent to start' });
    const v2 = await release(2, 'healthy');
    await store.stage(v2);
    process.kill(await lastPid(logPath), 'SIGUSR2');
    const pointer = await waitFor(
      async () => {
        const p = await store.readPointer();
        return p.phase === 'confirmed' && p.current?.version === 2 && p;
      },
      { what: 'v2 to be confirmed' },
    );
    expect(pointer.previous).toBeNull();
    expect(pointer.lastOutcome).toMatchObject({ version: 2, result: 'confirmed' });
    expect(await store.readStaged()).toBeNull();
    expect(await starts(logPath)).toEqual(['base', 'v2']);
  });

  it('reverts a release that crashes during its trial and brings the previous agent back', async () => {
    const { logPath, store, launch, release } = await setup();
    await store.stage(await release(3, 'crash'));
    launch();
    const pointer = await waitFor(
      async () => {
        const p = await store.readPointer();
        return p.lastOutcome?.result === 'reverted' && p;
      },
      { what: 'the crashing release to be reverted' },
    );
    expect(pointer).toMatchObject({ current: null, phase: 'confirmed' });
    expect(pointer.lastOutcome?.reason).toMatch(/exited with code 1/);
    await waitFor(async () => (await starts(logPath)).at(-1) === 'base', { what: 'the base agent to run again' });
  });

  it('reverts a release that never reports healthy within the health timeout', async () => {
    const { store, launch, release } = await setup();
    const good = await release(4, 'healthy');
    await store.writePointer({
      current: good,
      previous: null,
      phase: 'confirmed',
      trialAttempts: 0,
      lastOutcome: null,
    });
    await store.stage(await release(5, 'silent'));
    launch();
    const pointer = await waitFor(
      async () => {
        const p = await store.readPointer();
        return p.lastOutcome?.result === 'reverted' && p;
      },
      { what: 'the silent release to be reverted', timeoutMs: 10_000 },
    );
    expect(pointer.current?.version).toBe(4);
    expect(pointer.lastOutcome).toMatchObject({ version: 5, reason: expect.stringMatching(/no healthy report/) });
  });

  it('counts trial attempts across launcher deaths and reverts after the last one without starting it again', async () => {
    const { logPath, store, launch, release } = await setup();
    const trial = await release(6, 'healthy');
    // Two power cuts happened during this release's trials.
    await store.writePointer({
      current: trial,
      previous: null,
      phase: 'trial',
      trialAttempts: FAST_LAUNCHER.maxTrialAttempts,
      lastOutcome: null,
    });
    launch();
    await waitFor(async () => (await starts(logPath)).includes('base'), { what: 'the base agent to start' });
    expect((await store.readPointer()).lastOutcome).toMatchObject({ version: 6, result: 'reverted' });
    expect(await starts(logPath)).toEqual(['base']);
  });

  it('reverts a confirmed release whose files were damaged on disk', async () => {
    const { logPath, store, launch, release } = await setup();
    const v7 = await release(7, 'healthy');
    await store.writePointer({ current: v7, previous: null, phase: 'confirmed', trialAttempts: 0, lastOutcome: null });
    await writeFile(store.entryOf(v7), 'process.exit(3)\n');
    launch();
    await waitFor(async () => (await starts(logPath)).includes('base'), { what: 'the base agent to start' });
    expect((await store.readPointer()).lastOutcome?.reason).toMatch(/damaged/);
  });

  it('replaces an unreadable release pointer and starts the base agent', async () => {
    const { stateDir, logPath, store, launch } = await setup();
    await mkdir(join(stateDir, 'releases'), { recursive: true });
    await writeFile(join(stateDir, 'releases', 'pointer.json'), '{"current": tru');
    launch();
    await waitFor(async () => (await starts(logPath)).includes('base'), { what: 'the base agent to start' });
    expect(await store.readPointer()).toMatchObject({ current: null, phase: 'confirmed' });
  });

  it('kills and restarts an agent that stops sending heartbeats (watchdog)', async () => {
    const { logPath, launch } = await setup('hang-after-first-report');
    launch();
    await waitFor(async () => (await starts(logPath)).length >= 2, {
      what: 'the watchdog to restart the hung agent',
      timeoutMs: 10_000,
    });
  });
});
