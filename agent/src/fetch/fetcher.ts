/**
 * The bundle fetcher (DESIGN.md §4 Fetch): asks the control plane for missing chunks in windows over
 * `fetch/req`, verifies each arriving chunk (length + sha256 from the signed manifest) before it touches
 * the part file, re-requests what a window did not deliver, pauses while offline and resumes on reconnect.
 * A chunk that keeps failing its hash fails the fetch with CHUNK_HASH_MISMATCH; the finished file must then
 * match the manifest's size and digest (BUNDLE_TOO_LARGE / BUNDLE_HASH_MISMATCH). One fetch at a time.
 */
import { rm } from 'node:fs/promises';
import {
  type Clock,
  chunkRange,
  type FetchResponse,
  isErrorCode,
  MAX_FETCH_WINDOW,
  sha256Hex,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { FetchOptions } from '../config.js';
import { AgentError } from '../errors.js';
import type { Durability } from '../storage/atomic-file.js';
import { type ChunkPlan, openChunkWriter, partPathOf } from './chunk-writer.js';

export interface FetchLink {
  isOnline(): boolean;
  /** Publishes a fetch/req for [first, first + count). */
  request(request: { digest: string; first: number; count: number }): Promise<void>;
}

export interface FetchProgress {
  readonly chunksDone: number;
  readonly chunksTotal: number;
}

export interface Fetcher {
  /** Downloads and verifies a bundle (a manifest's or a federated round's weights); resolves with its file path. */
  fetch(plan: ChunkPlan, onProgress: (progress: FetchProgress) => void): Promise<string>;
  /** Routes a decoded fetch/res message to the running fetch (others are ignored). */
  handle(response: FetchResponse): void;
  /** Wakes a fetch paused while offline. */
  connectionChanged(): void;
  /** Fails the running fetch (shutdown). */
  abort(): void;
  /** Deletes the part file of a bundle that will not be fetched again. */
  discard(digest: string): Promise<void>;
  /** Chunks discarded for a bad hash or length, since start. */
  readonly rejectedChunks: number;
}

interface Running {
  readonly manifest: ChunkPlan;
  readonly missing: Set<number>;
  readonly retries: Map<number, number>;
  onChunk(index: number, bytes: Uint8Array): void;
  failure: AgentError | null;
  wake(): void;
}

export function createFetcher(options: {
  link: FetchLink;
  clock: Clock;
  logger: Logger;
  downloadsDir: string;
  durability?: Durability | undefined;
  settings: FetchOptions;
}): Fetcher {
  const { link, clock, logger, settings } = options;
  let running: Running | null = null;
  let rejectedChunks = 0;

  function requestRanges(digest: string, indices: readonly number[]): void {
    // Contiguous runs become one request each (count ≤ MAX_FETCH_WINDOW per the wire schema).
    const sorted = [...indices].sort((a, b) => a - b);
    let i = 0;
    while (i < sorted.length) {
      const first = sorted[i] as number;
      let count = 1;
      while (i + count < sorted.length && sorted[i + count] === first + count && count < MAX_FETCH_WINDOW) count++;
      i += count;
      link.request({ digest, first, count }).catch((error: unknown) => {
        // Offline or dropped: the window timeout re-requests, so this is logged, not fatal.
        logger.debug({ err: error, digest, first, count }, 'fetch request not sent');
      });
    }
  }

  async function fetch(manifest: ChunkPlan, onProgress: (progress: FetchProgress) => void): Promise<string> {
    if (running !== null) throw new AgentError('INVALID_TRANSITION', 'a fetch is already running');
    const writer = await openChunkWriter({
      downloadsDir: options.downloadsDir,
      plan: manifest,
      durability: options.durability,
    });
    const missing = await writer.missing();
    const total = manifest.chunks.length;
    let writes: Promise<void> = Promise.resolve();
    let waiter: (() => void) | null = null;
    const job: Running = {
      manifest,
      missing,
      retries: new Map(),
      failure: null,
      wake() {
        const resolve = waiter;
        waiter = null;
        resolve?.();
      },
      onChunk(index, bytes) {
        missing.delete(index);
        writes = writes.then(() => writer.write(index, bytes));
        writes.catch((cause: unknown) => {
          job.failure ??= new AgentError('INTERNAL', `writing chunk ${index} failed`, { cause });
          job.wake();
        });
        onProgress({ chunksDone: total - missing.size, chunksTotal: total });
        job.wake();
      },
    };
    const sleep = () => new Promise<void>((resolve) => (waiter = resolve));
    running = job;
    onProgress({ chunksDone: total - missing.size, chunksTotal: total });
    try {
      let stalled = 0;
      while (missing.size > 0) {
        if (job.failure !== null) throw job.failure;
        if (!link.isOnline()) {
          await sleep();
          continue;
        }
        const window = [...missing].sort((a, b) => a - b).slice(0, settings.windowChunks);
        const before = missing.size;
        requestRanges(manifest.digest, window);
        let timedOut = false;
        const cancel = clock.setTimer(settings.chunkTimeoutMs, () => {
          timedOut = true;
          job.wake();
        });
        while (!timedOut && job.failure === null && link.isOnline() && window.some((i) => missing.has(i))) {
          await sleep();
        }
        cancel();
        if (timedOut && missing.size === before) {
          stalled++;
          logger.warn({ digest: manifest.digest, stalled }, 'fetch window timed out; re-requesting');
          if (stalled >= settings.maxStalledWindows) {
            throw new AgentError('FETCH_TIMEOUT', `no chunk arrived in ${stalled} windows`, {
              details: { digest: manifest.digest, missing: missing.size },
            });
          }
        } else if (missing.size < before) {
          stalled = 0;
        }
      }
      await writes;
      if (job.failure !== null) throw job.failure;
      const { sha256, sizeBytes } = await writer.finish();
      if (sizeBytes > manifest.sizeBytes) {
        throw new AgentError('BUNDLE_TOO_LARGE', `bundle is ${sizeBytes} bytes, manifest says ${manifest.sizeBytes}`);
      }
      if (sha256 !== manifest.digest || sizeBytes !== manifest.sizeBytes) {
        throw new AgentError('BUNDLE_HASH_MISMATCH', `bundle sha256 ${sha256} does not match ${manifest.digest}`);
      }
      return writer.path;
    } catch (error) {
      await writes.catch(() => undefined);
      // A bad whole-bundle hash means the chunk list itself lied; resuming would reproduce it.
      if (error instanceof AgentError && error.code === 'BUNDLE_HASH_MISMATCH') await writer.discard();
      else await writer.close();
      throw error;
    } finally {
      running = null;
    }
  }

  function handle(response: FetchResponse): void {
    const job = running;
    if (job === null || response.digest !== job.manifest.digest) return;
    if (response.type === 'fetch-error') {
      const code = isErrorCode(response.error.code) ? response.error.code : 'INTERNAL';
      job.failure = new AgentError(code, `control plane: ${response.error.message}`, {
        details: { digest: response.digest, remoteCode: response.error.code },
      });
      job.wake();
      return;
    }
    const { index, bytes } = response;
    if (!job.missing.has(index)) return; // duplicate, already verified, or out of range
    const { start, end } = chunkRange(index, job.manifest.chunkBytes, job.manifest.sizeBytes);
    if (bytes.length === end - start && sha256Hex(bytes) === job.manifest.chunks[index]) {
      job.onChunk(index, bytes);
      return;
    }
    rejectedChunks++;
    const tries = (job.retries.get(index) ?? 0) + 1;
    job.retries.set(index, tries);
    logger.warn({ digest: response.digest, index, tries }, 'chunk failed verification; discarded');
    if (tries > settings.maxChunkRetries) {
      job.failure = new AgentError('CHUNK_HASH_MISMATCH', `chunk ${index} failed verification ${tries} times`, {
        details: { digest: response.digest, index },
      });
      job.wake();
      return;
    }
    requestRanges(response.digest, [index]);
  }

  return {
    fetch,
    handle,
    connectionChanged: () => running?.wake(),
    abort() {
      if (running === null) return;
      running.failure ??= new AgentError('INTERNAL', 'fetch aborted');
      running.wake();
    },
    discard: (digest) => rm(partPathOf(options.downloadsDir, digest), { force: true }),
    get rejectedChunks() {
      return rejectedChunks;
    },
  };
}
