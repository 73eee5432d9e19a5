import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { createSlotStore, MANIFEST_FILE, MODEL_FILE } from '../../src/install/slot-store.js';
import type { Durability } from '../../src/storage/atomic-file.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const digestOf = (n: number) => n.toString(16).padStart(64, '0');

async function setup(durability: Durability) {
  const dir = await temp.make();
  const bundlePath = join(dir, 'bundle.bin');
  const store = createSlotStore({ root: join(dir, 'slots'), durability });
  const install = async (version: number) => {
    await writeFile(bundlePath, `model v${version}`);
    const ref = await store.writeSlot({
      line: 'iris',
      version,
      digest: digestOf(version),
      bundlePath,
      manifestCbor: new Uint8Array([version]),
    });
    return ref;
  };
  return { dir, store, install, bundlePath };
}

// Every behaviour holds whether the flushes run or not (durability 'none': a state directory in RAM).
describe.each(['fsync', 'none'] as const)('slot store (durability: %s)', (durability) => {
  it('has no current slot for a line never installed', async () => {
    const { store } = await setup(durability);
    expect(await store.current('iris')).toBeUndefined();
    expect(await store.lines()).toEqual([]);
  });

  it('writes a complete slot, and the pointer names it only after switchTo', async () => {
    const { store, install } = await setup(durability);
    const ref = await install(1);
    expect(ref.dir).toBe(`v1-${digestOf(1).slice(0, 12)}`);
    expect(await readFile(store.pathOf('iris', ref.dir, MODEL_FILE), 'utf8')).toBe('model v1');
    expect(await store.current('iris')).toBeUndefined();
    await store.switchTo('iris', ref);
    expect(await store.current('iris')).toEqual({ ...ref, previous: null });
    expect(await store.lines()).toEqual(['iris']);
  });

  it('keeps the old current as previous when switching', async () => {
    const { store, install } = await setup(durability);
    const v1 = await install(1);
    await store.switchTo('iris', v1);
    const v2 = await install(2);
    await store.switchTo('iris', v2);
    expect(await store.current('iris')).toEqual({ ...v2, previous: v1 });
  });

  it('gc keeps current and previous and deletes older slots and crash leftovers', async () => {
    const { dir, store, install } = await setup(durability);
    for (const v of [1, 2, 3]) await store.switchTo('iris', await install(v));
    await mkdir(join(dir, 'slots', 'iris', '.tmp-deadbeef'));
    const removed = await store.gc('iris');
    expect(removed.sort()).toEqual(['.tmp-deadbeef', `v1-${digestOf(1).slice(0, 12)}`]);
    const left = (await readdir(join(dir, 'slots', 'iris'))).sort();
    expect(left).toEqual(['current.json', `v2-${digestOf(2).slice(0, 12)}`, `v3-${digestOf(3).slice(0, 12)}`]);
  });

  it('ignores a temp dir left by a crash mid-write: the pointer still names the last complete slot', async () => {
    const { dir, store, install } = await setup(durability);
    const v1 = await install(1);
    await store.switchTo('iris', v1);
    await mkdir(join(dir, 'slots', 'iris', '.tmp-abc'), { recursive: true });
    await writeFile(join(dir, 'slots', 'iris', '.tmp-abc', MODEL_FILE), 'half a mod');
    expect((await store.current('iris'))?.dir).toBe(v1.dir);
    expect(await store.lines()).toEqual(['iris']);
  });

  it('replaces a stale slot directory of the same name that no pointer references', async () => {
    const { dir, store, install } = await setup(durability);
    const staleDir = join(dir, 'slots', 'iris', `v1-${digestOf(1).slice(0, 12)}`);
    await mkdir(staleDir, { recursive: true });
    await writeFile(join(staleDir, MODEL_FILE), 'torn');
    const ref = await install(1);
    expect(await readFile(store.pathOf('iris', ref.dir, MODEL_FILE), 'utf8')).toBe('model v1');
  });

  it('switches the pointer by rename: current.json is always whole JSON', async () => {
    const { dir, store, install } = await setup(durability);
    const refs = [await install(1), await install(2)];
    await Promise.all(refs.map((r) => store.switchTo('iris', r)));
    const text = await readFile(join(dir, 'slots', 'iris', 'current.json'), 'utf8');
    expect(() => JSON.parse(text)).not.toThrow();
    expect((await readdir(join(dir, 'slots', 'iris'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the slot named by shadow.json through gc, and forgets it atomically', async () => {
    const { dir, store, install } = await setup(durability);
    await store.switchTo('iris', await install(1));
    const challenger = await install(2);
    await store.setShadow('iris', challenger);
    expect(await store.shadow('iris')).toEqual(challenger);
    expect(await store.gc('iris')).toEqual([]);
    await store.setShadow('iris', null);
    expect(await store.shadow('iris')).toBeUndefined();
    expect(await store.gc('iris')).toEqual([challenger.dir]);
    expect((await readdir(join(dir, 'slots', 'iris'))).sort()).toEqual([
      'current.json',
      `v1-${digestOf(1).slice(0, 12)}`,
    ]);
  });

  it('takes a re-signed manifest for a slot in use (current or previous) and leaves equal bytes alone', async () => {
    const { dir, store, install, bundlePath } = await setup(durability);
    const v1 = await install(1);
    await store.switchTo('iris', v1);
    await store.switchTo('iris', await install(2));
    const manifestOf = async (ref: { dir: string }) => [
      ...(await readFile(store.pathOf('iris', ref.dir, MANIFEST_FILE))),
    ];
    // v1 is `previous` now: writing it again keeps its model and takes the manifest as signed now.
    await writeFile(bundlePath, 'other bytes');
    const again = await store.writeSlot({
      line: 'iris',
      version: 1,
      digest: digestOf(1),
      bundlePath,
      manifestCbor: new Uint8Array([1, 42]),
    });
    expect(again).toEqual(v1);
    expect(await manifestOf(v1)).toEqual([1, 42]);
    expect(await readFile(store.pathOf('iris', v1.dir, MODEL_FILE), 'utf8')).toBe('model v1');
    expect(await store.refreshManifest('iris', v1, new Uint8Array([1, 42]))).toBe(false);
    expect(await store.refreshManifest('iris', v1, new Uint8Array([7]))).toBe(true);
    expect(await manifestOf(v1)).toEqual([7]);
    expect((await readdir(join(dir, 'slots', 'iris', v1.dir))).sort()).toEqual([MANIFEST_FILE, MODEL_FILE]);
  });
});
