/**
 * Reconnect delays: exponential backoff with FULL jitter — delay = random(0, min(cap, base · 2^attempt)) —
 * from the AWS Architecture Blog, "Exponential Backoff and Jitter" (Brooker, 2015). Full jitter spreads a
 * fleet that lost its broker at the same instant, so the reconnect storm does not arrive in lockstep.
 */
import type { BackoffOptions } from '../config.js';

export interface Backoff {
  /** Delay before retry number `attempt` (0 = first retry). */
  delayMs(attempt: number): number;
}

export function createBackoff(options: BackoffOptions & { random?: () => number }): Backoff {
  const random = options.random ?? Math.random;
  if (options.initialMs <= 0 || options.maxMs < options.initialMs) {
    throw new RangeError(`backoff needs 0 < initialMs <= maxMs (got ${options.initialMs}, ${options.maxMs})`);
  }
  return {
    delayMs(attempt) {
      // 2^attempt overflows to Infinity for large attempts; min() with the cap keeps it finite.
      const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt));
      return Math.floor(random() * ceiling);
    },
  };
}
