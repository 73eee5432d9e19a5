/**
 * Resource-aware installs: before a byte is fetched, the bundle's size (the part file plus its
 * slot copy, less what a resumed part file already holds) must fit on the disk, and its declared memory need
 * (manifest `resources.memoryBytes`, else its size) must fit in available memory — each with a reserve left
 * for the rest of the device. A refusal is an INSUFFICIENT_STORAGE / INSUFFICIENT_MEMORY install failure
 * with the numbers in its details, reported like any other; unlike a bad model it is not remembered as
 * failed for good (the operator may free space), but the target is deferred for `retryAfterMs`, so a
 * retained document re-delivered on every reconnect cannot turn it into a tight loop.
 */
import { stat } from 'node:fs/promises';
import type { Clock, ManifestBody } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import { partPathOf } from '../fetch/chunk-writer.js';
import type { SystemStats } from '../system/system-stats.js';

export interface ResourceOptions {
  /** Free disk left for the rest of the device after the bundle is written. */
  readonly diskReserveBytes: number;
  /** Available memory left for the rest of the device after the model is loaded. */
  readonly memoryReserveBytes: number;
  /** How long a refused target waits before it is tried again. */
  readonly retryAfterMs: number;
}

export interface ResourceGate {
  /** Throws INSUFFICIENT_STORAGE or INSUFFICIENT_MEMORY when the bundle does not fit. */
  check(manifest: ManifestBody): Promise<void>;
  /** Remembers a refused target and calls `retry` once `retryAfterMs` has passed. */
  defer(manifest: ManifestBody, retry: () => void): void;
  isDeferred(manifest: ManifestBody): boolean;
  close(): void;
}

export function isResourceRefusal(error: AgentError): boolean {
  return error.code === 'INSUFFICIENT_STORAGE' || error.code === 'INSUFFICIENT_MEMORY';
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;

export function createResourceGate(options: {
  stats: SystemStats;
  /** The directory downloads and slots live in (the agent's stateDir). */
  stateDir: string;
  downloadsDir: string;
  clock: Clock;
  settings: ResourceOptions;
}): ResourceGate {
  const { stats, settings, clock } = options;
  const deferred = new Map<string, { untilMs: number; cancel: () => void }>();
  const keyOf = (m: ManifestBody) => `${m.line}@${m.version}:${m.digest}`;

  return {
    async check(manifest) {
      const partBytes = await stat(partPathOf(options.downloadsDir, manifest.digest)).then(
        (s) => Math.min(s.size, manifest.sizeBytes),
        () => 0,
      );
      // The rest of the part file, then the slot's copy of the verified bundle (the part is deleted after).
      const needDisk = manifest.sizeBytes - partBytes + manifest.sizeBytes + settings.diskReserveBytes;
      const freeDisk = await stats.freeDiskBytes(options.stateDir);
      if (freeDisk < needDisk) {
        throw new AgentError(
          'INSUFFICIENT_STORAGE',
          `${manifest.line} v${manifest.version} needs ${mib(needDisk)} MiB of disk (with a ${mib(settings.diskReserveBytes)} MiB reserve), ${mib(freeDisk)} MiB free`,
          { details: { needBytes: needDisk, freeBytes: freeDisk, reserveBytes: settings.diskReserveBytes } },
        );
      }
      // An agent release replaces the running process instead of loading beside it: no memory is added.
      if (manifest.runtime === 'agent') return;
      const needMemory = (manifest.resources?.memoryBytes ?? manifest.sizeBytes) + settings.memoryReserveBytes;
      const freeMemory = stats.availableMemoryBytes();
      if (freeMemory < needMemory) {
        throw new AgentError(
          'INSUFFICIENT_MEMORY',
          `${manifest.line} v${manifest.version} needs ${mib(needMemory)} MiB of memory (with a ${mib(settings.memoryReserveBytes)} MiB reserve), ${mib(freeMemory)} MiB available`,
          { details: { needBytes: needMemory, freeBytes: freeMemory, reserveBytes: settings.memoryReserveBytes } },
        );
      }
    },
    defer(manifest, retry) {
      const key = keyOf(manifest);
      deferred.get(key)?.cancel();
      const cancel = clock.setTimer(settings.retryAfterMs, () => {
        deferred.delete(key);
        retry();
      });
      deferred.set(key, { untilMs: clock.now() + settings.retryAfterMs, cancel });
    },
    isDeferred(manifest) {
      const entry = deferred.get(keyOf(manifest));
      return entry !== undefined && clock.now() < entry.untilMs;
    },
    close() {
      for (const entry of deferred.values()) entry.cancel();
      deferred.clear();
    },
  };
}
