/**
 * The time-aligned window mechanics shared by the latency, drift and shadow aggregators (DESIGN.md §4):
 * a window started at `startMs` belongs to the period `[alignedStart(startMs), alignedStart(startMs) +
 * windowMs)` where `alignedStart(ms) = floor(ms / windowMs) * windowMs`, so every device's windows of the
 * same period line up and the control plane can merge them across the fleet. This module owns that
 * alignment, the one timer on the injectable Clock that closes windows at the earliest aligned boundary
 * (and re-arms for the next), the early close on flush (a window then ends at `min(now, its boundary)`),
 * and the running/closed state with an idempotent close. What a window aggregates, and how it is emitted,
 * stays with the aggregator: it lists its windows holding data and closes one when called back.
 */
import type { Clock } from '@edgefleet/protocol';

export type AlignedWindowsState = 'running' | 'closed';

export interface AlignedWindowsOptions<W extends { readonly startMs: number }> {
  readonly clock: Clock;
  readonly windowMs: number;
  /** The aggregator's windows that hold data now; empty windows must not be listed (no timer for them). */
  readonly openWindows: () => Iterable<W>;
  /** Emits one window ending at `endMs` and empties (or forgets) it; called by the timer and by flush. */
  readonly closeWindow: (window: W, endMs: number) => void;
}

export interface AlignedWindows<W extends { readonly startMs: number }> {
  readonly state: AlignedWindowsState;
  /** Start of the aligned period containing `ms`. */
  alignedStart(ms: number): number;
  /** End of the aligned period the window belongs to: where the timer closes it. */
  endOf(window: W): number;
  /** Start of a window opened at `nowMs`: its aligned period start, but never before `notBeforeMs`. */
  startAt(nowMs: number, notBeforeMs: number): number;
  /** Arms the timer for the earliest boundary of the open windows, unless one is armed or closed. */
  schedule(): void;
  /** Closes every open window now, at `min(now, its boundary)`, and stops the timer; returns that now. */
  flush(): number;
  /** Flushes, then stops scheduling for good; idempotent. */
  close(): void;
}

export function createAlignedWindows<W extends { readonly startMs: number }>(
  options: AlignedWindowsOptions<W>,
): AlignedWindows<W> {
  const { clock, windowMs, openWindows, closeWindow } = options;
  let cancelTimer: (() => void) | undefined;
  let state: AlignedWindowsState = 'running';

  const alignedStart = (ms: number) => Math.floor(ms / windowMs) * windowMs;
  const endOf = (window: W) => alignedStart(window.startMs) + windowMs;

  function closeEnded(nowMs: number): void {
    for (const window of openWindows()) {
      const endMs = endOf(window);
      if (endMs <= nowMs) closeWindow(window, endMs);
    }
  }

  function schedule(): void {
    if (cancelTimer !== undefined || state === 'closed') return;
    let nextEndMs = Number.POSITIVE_INFINITY;
    for (const window of openWindows()) nextEndMs = Math.min(nextEndMs, endOf(window));
    if (nextEndMs === Number.POSITIVE_INFINITY) return;
    cancelTimer = clock.setTimer(Math.max(0, nextEndMs - clock.now()), () => {
      cancelTimer = undefined;
      closeEnded(clock.now());
      schedule();
    });
  }

  function flush(): number {
    const nowMs = clock.now();
    for (const window of openWindows()) closeWindow(window, Math.min(nowMs, endOf(window)));
    cancelTimer?.();
    cancelTimer = undefined;
    return nowMs;
  }

  return {
    get state() {
      return state;
    },
    alignedStart,
    endOf,
    startAt: (nowMs, notBeforeMs) => Math.max(alignedStart(nowMs), notBeforeMs),
    schedule,
    flush,
    close() {
      if (state === 'closed') return;
      flush();
      state = 'closed';
    },
  };
}
