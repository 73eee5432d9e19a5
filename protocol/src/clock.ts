/**
 * The Clock interface: every component reads time and schedules timers through it, so tests can use fake
 * timers and the simulator a virtual clock. `systemClock` is the real one.
 */

export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. Timers never keep the process alive. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimer(ms: number, fn: () => void) {
    const handle = setTimeout(fn, ms);
    handle.unref();
    return () => clearTimeout(handle);
  },
});
