import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { chunkRange, type FetchResponse, systemClock } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { createFetcher, type Fetcher } from '../../src/fetch/fetcher.js';
import { memoryBundle } from '../helpers/bundles.js';
import { makeKeys, makeManifest } from '../helpers/signed-docs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const keys = makeKeys();
const setosa = () => ({ data: new Float32Array([1, 0, 0]), shape: [1, 3] });
// A 20 KiB model and its self-test set: 21 chunks of 1 KiB.
const packed = await memoryBundle(new Uint8Array(randomBytes(20 * 1024 + 7)), setosa);
const bundle = packed.bytes;
const { body: manifest } = makeManifest(keys, { version: 1, bundle: packed });

/**
 * A stand-in for the control plane's chunk server: answers fetch requests asynchronously with the real
 * bundle bytes, optionally corrupting or dropping chosen deliveries, and can go offline.
 */
async function setup(
  options: {
    corrupt?: (index: number, delivery: number) => boolean;
    drop?: Set<number>;
    dir?: string;
    /** Answer every request with this instead of chunks (a control plane that refuses the bundle). */
    answer?: FetchResponse;
  } = {},
) {
  const dir = options.dir ?? (await temp.make());
  let online = true;
  const deliveries = new Map<number, number>();
  const requests: Array<{ first: number; count: number }> = [];
  let fetcher: Fetcher | undefined;
  const deliver = (response: FetchResponse) => setImmediate(() => fetcher?.handle(response));
  fetcher = createFetcher({
    link: {
      isOnline: () => online,
      async request({ digest, first, count }) {
        if (!online) throw new Error('offline');
        requests.push({ first, count });
        if (options.answer !== undefined) {
          deliver(options.answer);
          return;
        }
        for (let index = first; index < first + count && index < manifest.chunks.length; index++) {
          const n = (deliveries.get(index) ?? 0) + 1;
          deliveries.set(index, n);
          if (options.drop?.has(index) && n === 1) continue;
          const { start, end } = chunkRange(index, manifest.chunkBytes, manifest.sizeBytes);
          const bytes = bundle.slice(start, end);
          if (options.corrupt?.(index, n) === true) bytes[0] = (bytes[0] as number) ^ 1;
          deliver({ v: 1, type: 'fetch-chunk', ts: 0, digest, index, bytes });
        }
      },
    },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    downloadsDir: dir,
    settings: { ...DEFAULTS.fetch, chunkTimeoutMs: 100, maxStalledWindows: 5 },
  });
  return {
    dir,
    fetcher,
    requests,
    deliveries,
    deliver,
    setOnline(value: boolean) {
      online = value;
      fetcher?.connectionChanged();
    },
  };
}

describe('bundle fetcher', () => {
  it('fetches every chunk in windows and produces the exact bundle', async () => {
    const { fetcher, requests } = await setup();
    const progress: number[] = [];
    const path = await fetcher.fetch(manifest, (p) => progress.push(p.chunksDone));
    expect(new Uint8Array(await readFile(path))).toEqual(bundle);
    expect(requests[0]).toEqual({ first: 0, count: DEFAULTS.fetch.windowChunks });
    expect(progress.at(-1)).toBe(21);
  });

  it('discards a corrupted chunk, counts it and fetches it again', async () => {
    const { fetcher, deliveries } = await setup({ corrupt: (index, n) => index === 5 && n === 1 });
    const started = Date.now();
    const path = await fetcher.fetch(manifest, () => {});
    expect(Date.now() - started).toBeLessThan(100); // re-requested at once, not after a window timeout
    expect(new Uint8Array(await readFile(path))).toEqual(bundle);
    expect(fetcher.rejectedChunks).toBe(1);
    expect(deliveries.get(5)).toBe(2);
  });

  it('fails with CHUNK_HASH_MISMATCH when a chunk stays corrupt past maxChunkRetries', async () => {
    const { fetcher } = await setup({ corrupt: (index) => index === 2 });
    await expect(fetcher.fetch(manifest, () => {})).rejects.toMatchObject({ code: 'CHUNK_HASH_MISMATCH' });
    expect(fetcher.rejectedChunks).toBe(DEFAULTS.fetch.maxChunkRetries + 1);
  });

  it('re-requests chunks a window did not deliver after the window timeout', async () => {
    const { fetcher, deliveries } = await setup({ drop: new Set([3, 17]) });
    const path = await fetcher.fetch(manifest, () => {});
    expect(new Uint8Array(await readFile(path))).toEqual(bundle);
    expect(deliveries.get(3)).toBe(2);
    expect(deliveries.get(17)).toBe(2);
  });

  it('fails with the control plane error code of a fetch-error', async () => {
    // Answered on the request itself, not on a timer: a timer races the 100 ms window timeout on a loaded machine.
    const { fetcher, requests } = await setup({
      answer: {
        v: 1,
        type: 'fetch-error',
        ts: 0,
        digest: manifest.digest,
        error: { code: 'BUNDLE_UNKNOWN', message: 'no such bundle' },
      },
    });
    await expect(fetcher.fetch(manifest, () => {})).rejects.toMatchObject({ code: 'BUNDLE_UNKNOWN' });
    expect(requests.length).toBeGreaterThanOrEqual(1);
  });

  it('ignores chunks for another digest', async () => {
    const { fetcher, deliver } = await setup();
    const running = fetcher.fetch(manifest, () => {});
    deliver({ v: 1, type: 'fetch-chunk', ts: 0, digest: 'f'.repeat(64), index: 0, bytes: new Uint8Array(1024) });
    await running;
    expect(fetcher.rejectedChunks).toBe(0);
  });

  it('pauses while offline and resumes on reconnect', async () => {
    const harness = await setup();
    harness.setOnline(false);
    let done = false;
    const running = harness.fetcher.fetch(manifest, () => {}).finally(() => (done = true));
    await new Promise((r) => setTimeout(r, 250));
    expect(done).toBe(false);
    expect(harness.requests).toEqual([]);
    harness.setOnline(true);
    expect(new Uint8Array(await readFile(await running))).toEqual(bundle);
  });

  it('resumes from the part file after an interrupted fetch', async () => {
    const first = await setup({ corrupt: (index) => index === 12 });
    await expect(first.fetcher.fetch(manifest, () => {})).rejects.toMatchObject({ code: 'CHUNK_HASH_MISMATCH' });
    const second = await setup({ dir: first.dir });
    const path = await second.fetcher.fetch(manifest, () => {});
    expect(new Uint8Array(await readFile(path))).toEqual(bundle);
    // Chunks already in the part file are not requested again: only 12 and the never-reached 16–20.
    expect([...second.deliveries.keys()].sort((a, b) => a - b)).toEqual([12, 16, 17, 18, 19, 20]);
  });
});
