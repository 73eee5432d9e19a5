import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkRange, systemClock } from '@edgefleet/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { createFetcher, type Fetcher } from '../../src/fetch/fetcher.js';
import { createInferenceService } from '../../src/inference/inference-service.js';
import { createInstaller, type InstallEvent } from '../../src/install/installer.js';
import { createSlotStore } from '../../src/install/slot-store.js';
import { createMemoryRuntime, type MemoryModelFn } from '../../src/runtime/memory-runtime.js';
import { createShadowRunner } from '../../src/shadow/shadow-runner.js';
import { openTrustState } from '../../src/trust/trust-state.js';
import { makeKeys, makeManifest } from '../helpers/signed-docs.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const temp = tempDirs();
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await temp.cleanup();
});

const keys = makeKeys();
const setosa: MemoryModelFn = (input) => ({ data: new Float32Array([1, 0, 0]), shape: [input.shape[0] ?? 1, 3] });
const broken: MemoryModelFn = (input) => ({ data: new Float32Array([0, 1, 0]), shape: [input.shape[0] ?? 1, 3] });

async function setup(behaviour: Record<number, MemoryModelFn>) {
  const dir = await temp.make();
  const bundleBytes = new Map<string, Uint8Array>();
  const manifests = new Map<number, ReturnType<typeof makeManifest>>();
  const bundles = new Map<string, number>();
  const models: Record<string, MemoryModelFn> = {};
  for (const v of Object.keys(behaviour).map(Number)) {
    const bundle = new Uint8Array(randomBytes(2500 + v));
    const m = makeManifest(keys, { version: v, bundle });
    manifests.set(v, m);
    bundles.set(m.body.digest, v);
    bundleBytes.set(m.body.digest, bundle);
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
  const installer = createInstaller({
    fetcher,
    slots,
    runtime: createMemoryRuntime(models),
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
  return { dir, installer, service, slots, trust, events, target };
}

const summary = (events: InstallEvent[]) => events.map((e) => `${e.kind}:${e.version}`);

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
});
