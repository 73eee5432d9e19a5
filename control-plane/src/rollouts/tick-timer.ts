/**
 * Drives the orchestrator from the injectable Clock: every `tickMs` it steps every active rollout (install
 * timeouts and observation windows only move with time). The next tick is armed after the current one
 * finishes, so ticks never overlap; `stop()` (control plane close) cancels the pending one.
 */
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';

export function startRolloutTicker(options: {
  clock: Clock;
  tickMs: number;
  tick: () => Promise<void>;
  logger: Logger;
}): { stop(): void } {
  let cancel: (() => void) | null = null;
  let stopped = false;
  const run = async () => {
    try {
      await options.tick();
    } catch (error) {
      options.logger.error({ err: error }, 'rollout tick failed');
    }
    if (!stopped) cancel = options.clock.setTimer(options.tickMs, () => void run());
  };
  cancel = options.clock.setTimer(options.tickMs, () => void run());
  return {
    stop() {
      stopped = true;
      cancel?.();
    },
  };
}
