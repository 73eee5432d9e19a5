/**
 * A Clock whose time only moves when the test says so; timers fire in order as `advance` passes them.
 */
import type { Clock } from '@edgefleet/protocol';

export interface ManualClock extends Clock {
  advance(ms: number): void;
}

export function createManualClock(startMs = Date.now()): ManualClock {
  let now = startMs;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimer(ms, fn) {
      const timer = { at: now + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.fn();
      }
      now = target;
    },
  };
}
