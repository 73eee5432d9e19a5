/**
 * Keeps desired documents fresh: every `refreshIntervalMs` (on the injectable Clock, so tests and the
 * simulator can advance time) it re-signs each document past half its TTL. Half-life refresh guarantees an
 * offline device returning at any time within the TTL finds an unexpired retained document (brief: "before
 * half of its TTL has passed").
 */
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DesiredState } from './desired-state.js';

export interface DesiredRefresher {
  stop(): void;
}

export function startDesiredRefresher(options: {
  clock: Clock;
  desired: DesiredState;
  refreshIntervalMs: number;
  logger: Logger;
}): DesiredRefresher {
  let cancel: (() => void) | null = null;
  let stopped = false;
  const tick = async () => {
    try {
      const count = await options.desired.refreshDue();
      if (count > 0) options.logger.info({ count }, 'desired documents re-signed');
    } catch (error) {
      options.logger.error({ err: error }, 'desired refresh failed');
    }
    if (!stopped) cancel = options.clock.setTimer(options.refreshIntervalMs, () => void tick());
  };
  cancel = options.clock.setTimer(options.refreshIntervalMs, () => void tick());
  return {
    stop() {
      stopped = true;
      cancel?.();
    },
  };
}
