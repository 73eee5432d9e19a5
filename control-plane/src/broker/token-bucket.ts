/**
 * A token bucket on a millisecond clock: `capacity` tokens, refilled at `perSecond`. `take(n)` spends n
 * tokens only when they are there; `borrow(n)` spends them anyway, going into debt, and says how long until
 * the debt is paid back (the wait that keeps the sustained rate).
 */
export interface TokenBucket {
  take(tokens: number, nowMs: number): boolean;
  /** Spends `tokens` (the balance may go negative); milliseconds until the balance is back at zero. */
  borrow(tokens: number, nowMs: number): number;
  /** Gives back tokens borrowed for something that did not happen. */
  refund(tokens: number): void;
}

export function createTokenBucket(capacity: number, perSecond: number, nowMs: number): TokenBucket {
  let tokens = capacity;
  let at = nowMs;
  const refill = (now: number) => {
    if (now > at) {
      tokens = Math.min(capacity, tokens + ((now - at) * perSecond) / 1000);
      at = now;
    }
  };
  return {
    take(n, now) {
      refill(now);
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
    borrow(n, now) {
      refill(now);
      tokens -= n;
      return tokens >= 0 ? 0 : (-tokens * 1000) / perSecond;
    },
    refund(n) {
      tokens = Math.min(capacity, tokens + n);
    },
  };
}
