/**
 * The simulator's virtual clock: a discrete-event scheduler behind protocol's `Clock`. Time only moves when
 * `runUntil` pops the next timer, so a scenario spanning days of fleet time runs as fast as the events can
 * be processed. Between two instants the loop waits for the process to settle (./settle.ts): every promise,
 * stream callback and file operation started by the previous events finishes before time moves on, which —
 * with timers ordered by (time, insertion) and per-device random streams — makes a run deterministic.
 */
import type { Clock } from '@edgefleet/protocol';
import { settle } from './settle.js';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export interface VirtualClock extends Clock {
  /** Pending (not cancelled) timers. */
  readonly pending: number;
  /** Runs every timer due up to `endMs` in time order, settling between instants; `onInstant` after each. */
  runUntil(endMs: number, options?: { onInstant?: (nowMs: number) => void | Promise<void> }): Promise<void>;
}

/** A binary min-heap on (at, seq): O(log n) per timer for fleets with ~10⁵ pending timers. */
class TimerHeap {
  private readonly items: Timer[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Timer | undefined {
    return this.items[0];
  }
  push(timer: Timer): void {
    const a = this.items;
    a.push(timer);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i] as Timer, a[parent] as Timer)) break;
      [a[i], a[parent]] = [a[parent] as Timer, a[i] as Timer];
      i = parent;
    }
  }
  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && before(a[l] as Timer, a[m] as Timer)) m = l;
      if (r < a.length && before(a[r] as Timer, a[m] as Timer)) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m] as Timer, a[i] as Timer];
      i = m;
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export function createVirtualClock(options: { startMs: number }): VirtualClock {
  let now = options.startMs;
  let seq = 0;
  let live = 0;
  const heap = new TimerHeap();
  return {
    now: () => now,
    get pending() {
      return live;
    },
    setTimer(ms, fn) {
      const timer: Timer = { at: now + Math.max(0, ms), seq: seq++, fn, cancelled: false };
      heap.push(timer);
      live++;
      return () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        live--;
      };
    },
    async runUntil(endMs, runOptions = {}) {
      await settle();
      for (;;) {
        const next = heap.peek();
        if (next === undefined || next.at > endMs) break;
        now = Math.max(now, next.at);
        // Every timer due at this instant, including those the callbacks add for the same instant.
        while ((heap.peek()?.at ?? Number.POSITIVE_INFINITY) <= now) {
          const timer = heap.pop() as Timer;
          if (timer.cancelled) continue;
          timer.cancelled = true;
          live--;
          timer.fn();
        }
        await settle();
        await runOptions.onInstant?.(now);
      }
      now = Math.max(now, endMs);
    },
  };
}
