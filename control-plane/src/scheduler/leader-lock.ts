/**
 * The seam between the scheduler and whatever decides leadership: a lock that is tried, checked and released.
 * PostgreSQL mode uses a session advisory lock (pg-advisory-lock.ts); a single process on SQLite uses
 * `alwaysLeaderLock`, which every try wins — one process is its own leader.
 */

export interface LeaderLock {
  /** Tries to take the lock without waiting; true when this process now holds it. */
  tryAcquire(): Promise<boolean>;
  /** Whether the lock is still held (for a database lock: the holding connection still answers). */
  check(): Promise<boolean>;
  /** Called once each time a held lock is lost without `release()` (connection dropped). */
  onLost(listener: () => void): void;
  release(): Promise<void>;
}

export function alwaysLeaderLock(): LeaderLock {
  return {
    tryAcquire: async () => true,
    check: async () => true,
    onLost: () => {},
    release: async () => {},
  };
}
