/**
 * Publishes the retained `reported` state: on every connect, after each install outcome, and during a fetch
 * at most once per `intervalMs` (a 10,000-chunk download must not become 10,000 retained publishes). The
 * snapshot is taken at send time, so a throttled update always carries the newest progress.
 */
import { type Clock, encodeCbor, type ReportedMessage, reportedMessageSchema } from '@edgefleet/protocol';
import type { Logger } from 'pino';

export type ReportedSnapshot = Omit<ReportedMessage, 'v' | 'type' | 'ts'>;

export interface Reporter {
  /** Publishes now (no-op result when offline: the next connect publishes anyway). */
  publishNow(): void;
  /** Publishes now or at the end of the current throttle interval. */
  publishThrottled(): void;
  close(): void;
}

export function createReporter(options: {
  publish: (payload: Uint8Array) => Promise<void>;
  snapshot: () => ReportedSnapshot;
  clock: Clock;
  intervalMs: number;
  logger: Logger;
}): Reporter {
  const { clock, logger } = options;
  let lastSentMs = Number.NEGATIVE_INFINITY;
  let cancelPending: (() => void) | null = null;
  let state: 'open' | 'closed' = 'open';

  function send(): void {
    if (state === 'closed') return;
    cancelPending?.();
    cancelPending = null;
    lastSentMs = clock.now();
    const message: ReportedMessage = { v: 1, type: 'reported', ts: clock.now(), ...options.snapshot() };
    const parsed = reportedMessageSchema.safeParse(message);
    if (!parsed.success) {
      logger.error({ issues: parsed.error.issues.slice(0, 3) }, 'reported state does not match schema');
      return;
    }
    options.publish(encodeCbor(parsed.data)).catch((error: unknown) => {
      logger.debug({ err: error }, 'reported state not published (offline?)');
    });
  }

  return {
    publishNow: send,
    publishThrottled() {
      if (state === 'closed' || cancelPending !== null) return;
      const waitMs = lastSentMs + options.intervalMs - clock.now();
      if (waitMs <= 0) send();
      else cancelPending = clock.setTimer(waitMs, send);
    },
    close() {
      state = 'closed';
      cancelPending?.();
      cancelPending = null;
    },
  };
}
