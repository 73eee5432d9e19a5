/** A Clock that moves only when the test says so; due timers fire in time order. */
import type { Clock } from '@edgefleet/protocol';
import { NOW_MS } from './signed-docs.js';

export type ManualClock = Clock & { advance(ms: number): void };

export function manualClock(startMs = NOW_MS): ManualClock {
  let nowMs = startMs;
  let timers: Array<{ atMs: number; fn: () => void }> = [];
  return {
    now: () => nowMs,
    setTimer(ms, fn) {
      const timer = { atMs: nowMs + ms, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    advance(ms) {
      const targetMs = nowMs + ms;
      for (;;) {
        const due = timers.filter((t) => t.atMs <= targetMs).sort((a, b) => a.atMs - b.atMs)[0];
        if (due === undefined) break;
        timers = timers.filter((t) => t !== due);
        nowMs = due.atMs;
        due.fn();
      }
      nowMs = targetMs;
    },
  };
}
