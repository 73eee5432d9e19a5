/**
 * The cohort windows waiting to close: for each (line, version, aligned start) that received device windows
 * while still open, the cohorts of the devices that reported into it. A window closes `graceMs` after its
 * end (drift/thresholds.ts); only then is it complete enough to judge, because a partial window — e.g. the
 * first device's few dozen rows — is dominated by sampling noise (PSI ≈ (bins − 1)·(1/n + 1/N)) and would
 * raise false alerts on clean cohorts. Kept in memory only: after a restart nothing is judged
 * retroactively (see fleet-drift.ts).
 */
import { type Cohort, cohortKey } from './cohort.js';

export interface PendingWindow {
  readonly line: string;
  readonly version: number;
  readonly alignedStartMs: number;
  /** By cohort key: every cohort of every device that reported into the window. */
  readonly cohorts: Map<string, Cohort>;
  /** Devices that reported into the window (for logs). */
  readonly deviceIds: Set<string>;
}

export interface PendingWindows {
  /** Whether the cohort window starting at `alignedStartMs` is closed at `nowMs`. */
  isClosed(alignedStartMs: number, nowMs: number): boolean;
  /** Records that `deviceId` (member of `cohorts`) reported into the window; returns the pending entry. */
  add(
    window: { line: string; version: number; alignedStartMs: number },
    deviceId: string,
    cohorts: readonly Cohort[],
  ): PendingWindow;
  /** Removes one entry (judged early because a late window closed it). */
  remove(window: PendingWindow): void;
  /** Removes and returns every entry closed at `nowMs`, oldest window first. */
  takeClosed(nowMs: number): PendingWindow[];
  readonly size: number;
}

export function createPendingWindows(options: { windowMs: number; graceMs: number }): PendingWindows {
  const { windowMs, graceMs } = options;
  const pending = new Map<string, PendingWindow>();
  const keyOf = (w: { line: string; version: number; alignedStartMs: number }) =>
    `${w.line}@${w.version}@${w.alignedStartMs}`;
  const isClosed = (alignedStartMs: number, nowMs: number) => nowMs >= alignedStartMs + windowMs + graceMs;

  return {
    isClosed,
    add(window, deviceId, cohorts) {
      const key = keyOf(window);
      let entry = pending.get(key);
      if (entry === undefined) {
        entry = { ...window, cohorts: new Map(), deviceIds: new Set() };
        pending.set(key, entry);
      }
      for (const cohort of cohorts) entry.cohorts.set(cohortKey(cohort), cohort);
      entry.deviceIds.add(deviceId);
      return entry;
    },
    remove(window) {
      pending.delete(keyOf(window));
    },
    takeClosed(nowMs) {
      const closed = [...pending.entries()].filter(([, w]) => isClosed(w.alignedStartMs, nowMs));
      for (const [key] of closed) pending.delete(key);
      return closed.map(([, w]) => w).sort((a, b) => a.alignedStartMs - b.alignedStartMs);
    },
    get size() {
      return pending.size;
    },
  };
}
