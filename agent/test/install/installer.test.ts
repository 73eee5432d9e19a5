import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  chunkRange,
  encodeCbor,
  followRootChain,
  type RootKeys,
  resignDocument,
  type SignedDocument,
  systemClock,
} from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { createFetcher, type Fetcher } from '../../src/fetch/fetcher.js';
import { createInferenceService } from '../../src/inference/inference-service.js';
import { loadSlot } from '../../src/install/boot-loader.js';
import { createInstaller, type InstallEvent } from '../../src/install/installer.js';
import { createResourceGate } from '../../src/install/resource-gate.js';
import { createSlotStore, MANIFEST_FILE, type SlotRef } from '../../src/install/slot-store.js';
import { createMemoryRuntime, type MemoryModelFn } from '../../src/runtime/memory-runtime.js';
import { createSelfUpdate } from '../../src/self-update/self-update.js';
import { createShadowRunner } from '../../src/shadow/shadow-runner.js';
import type { SystemStats } from '../../src/system/system-stats.js';
import { openTrustState } from '../../src/trust/trust-state.js';
import { memoryBundle } from '../helpers/bundles.js';
import { manualClock } from '../helpers/manual-clock.js';
import { makeKeys, makeManifest, makeNextRoot, makeRoot, NOW_MS } from '../helpers/signed-docs.js';

const temp = tempDirs();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await temp.cleanup();
});

const keys = makeKeys();
const setosa: MemoryModelFn = (input) => ({ data: new Float32Array([1, 0, 0]), shape: [input.shape[0] ?? 1, 3] });
const broken: MemoryModelFn = (input) => ({ data: new Float32Array([0, 1, 0]), shape: [input.shape[0] ?? 1, 3] });

const MIB = 1024 * 1024;
/** The device as the resource gate sees it; a test empties its disk or memory. */
function fakeStats(): SystemStats & { diskBytes: number; memoryBytes: number } {
  return {
    diskBytes: 10_000 * MIB,
    memoryBytes: 10_000 * MIB,
    async freeDiskBytes() {
      return this.diskBytes;
    },
    availableMemoryBytes() {
      return this.memoryBytes;
    },
  };
}

async function setup(behaviour: Record<number, MemoryModelFn>) {
  const dir = await temp.make();
  const stats = fakeStats();
  const clock = manualClock();
  const bundleBytes = new Map<string, Uint8Array>();
  const manifests = new Map<number, ReturnType<typeof makeManifest>>();
  const bundles = new Map<string, number>();
  const models: Record<string, MemoryModelFn> = {};
  for (const v of Object.keys(behaviour).map(Number)) {
    // Registration computed every self-test set with `setosa`; a device whose model is `broken` fails it.
    const bundle = await memoryBundle(new Uint8Array(randomBytes(2500 + v)), setosa);
    const m = makeManifest(keys, { version: v, bundle });
    manifests.set(v, m);
    bundles.set(m.body.digest, v);
    bundleBytes.set(m.body.digest, bundle.bytes);
    // The memory runtime maps a model path to a function: the slot path this version will be written to.
    models[join(dir, 'slots', 'iris', `v${v}-${m.body.digest.slice(0, 12)}`, 'model.onnx')] = behaviour[
      v
    ] as MemoryModelFn;
  }
  let fetcher: Fetcher | undefined;
  fetcher = createFetcher({
    link: {
      isOnline: () => true,
      async request({ digest, first, count }) {
        const v = bundles.get(digest) as number;
        const m = manifests.get(v)?.body;
        if (m === undefined) return;
        const bytes = bundleBytes.get(digest) as Uint8Array;
        for (let index = first; index < Math.min(first + count, m.chunks.length); index++) {
          const { start, end } = chunkRange(index, m.chunkBytes, m.sizeBytes);
          setImmediate(() =>
            fetcher?.handle({ v: 1, type: 'fetch-chunk', ts: 0, digest, index, bytes: bytes.slice(start, end) }),
          );
        }
      },
    },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    downloadsDir: join(dir, 'downloads'),
    settings: DEFAULTS.fetch,
  });
  const service = createInferenceService({ clock: systemClock });
  const slots = createSlotStore({ root: join(dir, 'slots') });
  const trust = await openTrustState({ path: join(dir, 'trust.json') });
  const events: InstallEvent[] = [];
  const runtime = createMemoryRuntime(models);
  const installer = createInstaller({
    fetcher,
    slots,
    runtime,
    service,
    shadows: createShadowRunner({
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      settings: DEFAULTS.shadow,
      onWindow: () => {},
    }),
    trust,
    logger: pino({ level: 'silent' }),
    removePart: (path) => rm(path, { force: true }),
    resources: createResourceGate({
      stats,
      stateDir: dir,
      downloadsDir: join(dir, 'downloads'),
      clock,
      settings: { diskReserveBytes: 64 * MIB, memoryReserveBytes: 32 * MIB, retryAfterMs: 600_000 },
    }),
    releases: createSelfUpdate({
      stateDir: dir,
      trust,
      logger: pino({ level: 'silent' }),
      onEvent: (e) => events.push(e),
      supervised: false,
      settings: { healthTimeoutMs: 120_000, stableAfterMs: 300_000 },
      onConfirmed: () => {},
      onReverted: () => {},
    }),
    onRestart: () => {},
    onEvent: (e) => events.push(e),
    onProgress: () => {},
  });
  closers.push(async () => {
    await installer.close();
    await service.close();
  });
  const target = (v: number) => {
    const m = manifests.get(v);
    if (m === undefined) throw new Error(`no manifest v${v}`);
    return { line: 'iris', manifest: m.body, manifestDoc: m.doc, rolloutId: null, role: 'champion' as const };
  };
  return { dir, installer, service, slots, runtime, trust, events, target, stats, clock };
}

const summary = (events: InstallEvent[]) => events.map((e) => `${e.kind}:${e.version}`);
const failureCodes = (events: InstallEvent[]) =>
  events.flatMap((e) => (e.kind === 'install-failed' ? [e.error.code] : []));

describe('installer', () => {
  it('fetches, self-tests, switches the pointer and activates', async () => {
    const { installer, service, slots, events, target } = await setup({ 1: setosa });
    installer.enqueue([target(1)]);
    await installer.idle();
    expect(summary(events)).toEqual(['install-started:1', 'install-verified:1', 'install-completed:1']);
    expect(service.active().map((a) => a.version)).toEqual([1]);
    expect((await slots.current('iris'))?.version).toBe(1);
    expect((await service.predict('iris', [[1, 2, 3, 4]])).outputs).toEqual([[1, 0, 0]]);
  });

  it('on a failed self-test deletes the new slot, stays on the previous model and reports the revert', async () => {
    const { dir, installer, service, slots, trust, events, target } = await setup({ 1: setosa, 2: broken });
    installer.enqueue([target(1)]);
    await installer.idle();
    installer.enqueue([target(2)]);
    await installer.idle();
    expect(summary(events).slice(3)).toEqual(['install-started:2', 'install-failed:2', 'install-reverted:1']);
    const failed = events.find((e) => e.kind === 'install-failed');
    expect(failed?.kind === 'install-failed' && failed.error.code).toBe('SELF_TEST_FAILED');
    expect(service.active().map((a) => a.version)).toEqual([1]);
    expect((await slots.current('iris'))?.version).toBe(1);
    expect((await readdir(join(dir, 'slots', 'iris'))).filter((n) => n.startsWith('v2-'))).toEqual([]);
    expect(trust.hasFailed('iris', target(2).manifest)).toBe(true);
  });

  it('does not retry a version that already failed when the same target arrives again', async () => {
    const { installer, events, target } = await setup({ 2: broken });
    installer.enqueue([target(2)]);
    await installer.idle();
    installer.enqueue([target(2)]);
    await installer.idle();
    expect(summary(events)).toEqual(['install-started:2', 'install-failed:2']);
  });

  it('serializes installs and reconciles to the latest target queued meanwhile', async () => {
    const { installer, service, events, target } = await setup({ 1: setosa, 2: setosa, 3: setosa });
    installer.enqueue([target(1)]);
    installer.enqueue([target(2)]);
    installer.enqueue([target(3)]);
    await installer.idle();
    expect(summary(events).filter((e) => e.startsWith('install-completed'))).toEqual([
      'install-completed:1',
      'install-completed:3',
    ]);
    expect(service.active().map((a) => a.version)).toEqual([3]);
  });

  it('keeps the current and the last known-good slot and collects older ones', async () => {
    const { dir, installer, target } = await setup({ 1: setosa, 2: setosa, 3: setosa });
    for (const v of [1, 2, 3]) {
      installer.enqueue([target(v)]);
      await installer.idle();
    }
    const slotsOnDisk = (await readdir(join(dir, 'slots', 'iris'))).filter((n) => n.startsWith('v')).sort();
    expect(slotsOnDisk.map((n) => n.split('-')[0])).toEqual(['v2', 'v3']);
  });
});

describe('resource-aware installs', () => {
  it('refuses a bundle that does not fit the free disk with its reserve, before fetching a byte', async () => {
    const { dir, installer, service, events, target, stats } = await setup({ 1: setosa, 2: setosa });
    installer.enqueue([target(1)]);
    await installer.idle();
    // The 2.5 KB bundle needs its part file + its slot copy + the 64 MiB reserve.
    stats.diskBytes = 64 * MIB + 1000;
    installer.enqueue([target(2)]);
    await installer.idle();
    expect(summary(events).slice(3)).toEqual(['install-started:2', 'install-failed:2', 'install-reverted:1']);
    const failed = events.find((e) => e.kind === 'install-failed');
    expect(failed?.kind === 'install-failed' && failed.error.details).toMatchObject({
      freeBytes: 64 * MIB + 1000,
      reserveBytes: 64 * MIB,
    });
    expect(failureCodes(events)).toEqual(['INSUFFICIENT_STORAGE']);
    expect(await readdir(join(dir, 'downloads')).catch(() => [])).toEqual([]);
    expect(service.active().map((a) => a.version)).toEqual([1]);
  });

  it('refuses a model whose declared memory need does not fit the available memory with its reserve', async () => {
    const { installer, events, target, stats } = await setup({ 1: setosa });
    const big = target(1);
    const manifest = { ...big.manifest, resources: { memoryBytes: 100 * MIB } };
    stats.memoryBytes = 120 * MIB; // 100 MiB + the 32 MiB reserve do not fit
    installer.enqueue([{ ...big, manifest }]);
    await installer.idle();
    expect(failureCodes(events)).toEqual(['INSUFFICIENT_MEMORY']);
  });

  it('does not retry a refused install in a tight loop, and installs it after retryAfterMs once space is free', async () => {
    const { installer, service, events, target, stats, clock, trust } = await setup({ 1: setosa });
    stats.diskBytes = 0;
    installer.enqueue([target(1)]);
    await installer.idle();
    // The retained document arrives again on every reconnect: skipped while the refusal is fresh.
    for (let i = 0; i < 5; i++) installer.enqueue([target(1)]);
    await installer.idle();
    expect(summary(events)).toEqual(['install-started:1', 'install-failed:1']);
    // A resource refusal is not a verdict on the model: it is not remembered as failed.
    expect(trust.hasFailed('iris', target(1).manifest)).toBe(false);
    stats.diskBytes = 10_000 * MIB;
    clock.advance(600_000);
    await installer.idle();
    expect(summary(events).slice(2)).toEqual(['install-started:1', 'install-verified:1', 'install-completed:1']);
    expect(service.active().map((a) => a.version)).toEqual([1]);
  });
});

describe('re-attestation after a targets-key rotation', () => {
  /** v2 rotates the targets key: manifests signed by the v1 targets key no longer verify. */
  const keys2: RootKeys = { ...makeKeys(2), root: keys.root };
  const rootV2 = followRootChain(
    makeRoot(keys).trusted,
    [makeNextRoot(keys2, { version: 2, previous: keys })],
    NOW_MS,
  ).root;
  const resigned = (doc: SignedDocument) => resignDocument(doc, keys2.targets);

  it('rewrites the installed slot manifest when the same version arrives re-signed, so it boots under the new root', async () => {
    const { installer, slots, runtime, events, target } = await setup({ 1: setosa });
    installer.enqueue([target(1)]);
    await installer.idle();
    const slot = (await slots.current('iris')) as SlotRef;
    const boot = () => loadSlot({ slots, runtime, root: rootV2 }, 'iris', slot);
    await expect(boot()).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });

    const doc = resigned(target(1).manifestDoc);
    installer.enqueue([{ ...target(1), manifestDoc: doc }]);
    await installer.idle();
    // Nothing re-installed: same model, new signature on disk.
    expect(summary(events)).toEqual(['install-started:1', 'install-verified:1', 'install-completed:1']);
    expect(await readFile(slots.pathOf('iris', slot.dir, MANIFEST_FILE))).toEqual(Buffer.from(encodeCbor(doc)));
    const entry = await boot();
    expect(entry.version).toBe(1);
    await entry.model.close();
  });

  it('does the same for the slot of a challenger running in shadow', async () => {
    const { installer, slots, runtime, target } = await setup({ 1: setosa, 2: setosa });
    const shadowOf = (doc: SignedDocument) => ({ ...target(2), manifestDoc: doc, role: 'shadow' as const });
    installer.enqueue([target(1), shadowOf(target(2).manifestDoc)]);
    await installer.idle();
    const slot = (await slots.shadow('iris')) as SlotRef;
    const boot = () => loadSlot({ slots, runtime, root: rootV2 }, 'iris', slot);
    await expect(boot()).rejects.toMatchObject({ code: 'KEY_UNKNOWN' });

    const champion = target(1);
    installer.enqueue([
      { ...champion, manifestDoc: resigned(champion.manifestDoc) },
      shadowOf(resigned(target(2).manifestDoc)),
    ]);
    await installer.idle();
    const entry = await boot();
    expect(entry.version).toBe(2);
    await entry.model.close();
  });

  it("gives a promoted challenger's slot the re-signed champion manifest", async () => {
    const { installer, slots, runtime, events, target } = await setup({ 1: setosa, 2: setosa });
    installer.enqueue([target(1), { ...target(2), role: 'shadow' as const }]);
    await installer.idle();
    const promoted = target(2);
    installer.enqueue([{ ...promoted, manifestDoc: resigned(promoted.manifestDoc) }]);
    await installer.idle();
    const current = (await slots.current('iris')) as SlotRef;
    expect(current.version).toBe(2);
    expect(events.filter((e) => e.kind === 'install-completed').map((e) => e.version)).toEqual([1, 2]);
    const entry = await loadSlot({ slots, runtime, root: rootV2 }, 'iris', current);
    expect(entry.version).toBe(2);
    await entry.model.close();
  });
});
