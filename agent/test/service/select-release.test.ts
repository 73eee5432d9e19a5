/**
 * The service's start step (`select-release.sh`, run by systemd before every start), run with /bin/sh on
 * real directories: it points `releases/active` at the release to run, counts trial starts and reverts
 * after the last one, reverts a confirmed release that keeps being started without staying up, reverts a
 * damaged release, never reverts base, and reads a hostile state file without running any of it. Its
 * state file is the one the agent writes and reads (release-store.ts), so both are checked together.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_STATE, createReleaseStore, type ReleaseRef } from '../../src/self-update/release-store.js';
import { sha256File } from '../../src/storage/file-sha256.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../service/select-release.sh', import.meta.url));
const temp = tempDirs();
afterEach(() => temp.cleanup());

async function setup() {
  const dir = await temp.make();
  const base = join(dir, 'opt', 'current');
  await mkdir(base, { recursive: true });
  const stateDir = join(dir, 'state');
  const store = createReleaseStore({ stateDir });
  const release = async (version: number, body = `// agent v${version}\n`): Promise<ReleaseRef> => {
    const bundle = join(dir, `bundle-${version}.mjs`);
    await writeFile(bundle, body);
    return store.write({
      version,
      digest: await sha256File(bundle),
      bundlePath: bundle,
      manifestCbor: new Uint8Array([0xa0]),
      nativeModules: {},
    });
  };
  /** One start: the script with 3 trial starts and 2 crash starts; returns where `active` points. */
  const start = async () => {
    const { stderr } = await run('/bin/sh', [SCRIPT, stateDir, base, '3', '2']);
    return { active: await readlink(join(store.root, 'active')), stderr };
  };
  return { dir, base, store, release, start };
}

describe('select-release.sh', () => {
  it('runs base on a fresh device and counts its starts', async () => {
    const { base, store, start } = await setup();
    expect((await start()).active).toBe(base);
    expect((await start()).active).toBe(base);
    expect(await store.readState()).toMatchObject({ current: 'base', phase: 'confirmed', starts: 2, outcome: null });
  });

  it('gives a release on trial three starts, then reverts it to the last good one', async () => {
    const { store, release, start } = await setup();
    const good = await release(1);
    await store.stage(good);
    await store.writeState({ ...(await store.readState()), phase: 'confirmed' });
    const bad = await release(2);
    await store.stage(bad);
    for (let attempt = 1; attempt <= 3; attempt++) {
      expect((await start()).active).toBe(join(store.root, bad.dir));
      expect(await store.readState()).toMatchObject({ current: bad.dir, phase: 'trial', attempts: attempt });
    }
    const { active, stderr } = await start();
    expect(active).toBe(join(store.root, good.dir));
    expect(stderr).toContain(`release ${bad.dir} reverted to ${good.dir} (trial-failed)`);
    const state = await store.readState();
    expect(state).toMatchObject({ current: good.dir, previous: null, phase: 'confirmed', starts: 0 });
    expect(state.outcome).toMatchObject({ result: 'reverted', release: bad.dir, reason: 'trial-failed' });
    expect(state.outcome?.at).toBeGreaterThan(Date.now() / 1000 - 60);
  });

  it('reverts a confirmed release started more than the crash limit without staying up, never base', async () => {
    const { base, store, release, start } = await setup();
    const crashing = await release(3);
    await store.stage(crashing);
    await store.writeState({ ...(await store.readState()), phase: 'confirmed', attempts: 0 });
    expect((await start()).active).toBe(join(store.root, crashing.dir));
    expect((await start()).active).toBe(join(store.root, crashing.dir));
    expect((await start()).active).toBe(base);
    expect((await store.readState()).outcome).toMatchObject({ release: crashing.dir, reason: 'crash-loop' });
    for (let i = 0; i < 5; i++) expect((await start()).active).toBe(base);
  });

  it('reverts a release whose files no longer match their digest', async () => {
    const { base, store, release, start } = await setup();
    const damaged = await release(4);
    await store.stage(damaged);
    await writeFile(store.entryOf(damaged), '// flipped bits\n');
    expect((await start()).active).toBe(base);
    expect((await store.readState()).outcome).toMatchObject({ release: damaged.dir, reason: 'damaged' });
  });

  it('ignores hostile or broken values in the state file and runs nothing from it', async () => {
    const { dir, base, store, start } = await setup();
    await mkdir(store.root, { recursive: true });
    const marker = join(dir, 'pwned');
    await writeFile(
      join(store.root, 'state'),
      [`current=$(touch ${marker})`, 'previous=../../etc', 'phase=`id`', 'attempts=1;reboot', 'starts=x', ''].join(
        '\n',
      ),
    );
    expect((await start()).active).toBe(base);
    await expect(readFile(marker)).rejects.toThrow();
    expect(await store.readState()).toMatchObject({ ...BASE_STATE, starts: 1 });
  });
});
