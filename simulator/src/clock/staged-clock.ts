/**
 * A device's view of the virtual clock that holds the timers it creates until `release()`, then registers
 * them on the shared clock in creation order. Agents started concurrently (their start is mostly waiting on
 * file operations) thus put their first timers — connection attempts, link deliveries, traffic — on the
 * shared clock in fleet order, exactly as if they had started one at a time: timers at the same instant
 * run in registration order, so that order is part of what a seed reproduces.
 */
import type { Clock } from '@edgefleet/protocol';
import { SimulatorError } from '../errors.js';

interface Held {
  readonly ms: number;
  readonly fn: () => void;
  cancel: (() => void) | null;
  cancelled: boolean;
}

export interface StagedClock extends Clock {
  /** Registers the held timers (virtual time must not have moved since they were created) and stops holding. */
  release(): void;
}

export function createStagedClock(clock: Clock): StagedClock {
  let held: Held[] | null = [];
  const stagedAt = clock.now();
  return {
    now: () => clock.now(),
    setTimer(ms, fn) {
      if (held === null) return clock.setTimer(ms, fn);
      const timer: Held = { ms, fn, cancel: null, cancelled: false };
      held.push(timer);
      return () => {
        timer.cancelled = true;
        timer.cancel?.();
      };
    },
    release() {
      if (held === null) return;
      if (clock.now() !== stagedAt) {
        throw new SimulatorError('RUN_FAILED', 'virtual time moved while device timers were held');
      }
      const timers = held;
      held = null;
      for (const timer of timers) if (!timer.cancelled) timer.cancel = clock.setTimer(timer.ms, timer.fn);
    },
  };
}
