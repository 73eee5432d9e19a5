/**
 * Runs the fleet drift judgement of closed cohort windows every `judgeIntervalMs` on the injectable Clock
 * (so tests and the simulator can advance time), re-arming after each run; `stop()` cancels it on
 * control-plane close. With the defaults an alert is raised at most `graceMs + judgeIntervalMs` (20 s) after
 * its cohort window ends (drift/thresholds.ts).
 */
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';

export interface DriftJudgeTimer {
  stop(): void;
}

export function startDriftJudgeTimer(options: {
  clock: Clock;
  drift: { judgeClosedWindows(): number };
  judgeIntervalMs: number;
  logger: Logger;
}): DriftJudgeTimer {
  const { clock, drift, judgeIntervalMs, logger } = options;
  // Only one move exists (running → stopped, idempotent), so no transition table is needed.
  let state: 'running' | 'stopped' = 'running';
  let cancel: () => void = () => {};
  const tick = () => {
    try {
      const judged = drift.judgeClosedWindows();
      if (judged > 0) logger.debug({ judged }, 'closed cohort drift windows judged');
    } catch (error) {
      logger.error({ err: error }, 'cohort drift judgement failed');
    }
    if (state === 'running') cancel = clock.setTimer(judgeIntervalMs, tick);
  };
  cancel = clock.setTimer(judgeIntervalMs, tick);
  return {
    stop() {
      state = 'stopped';
      cancel();
    },
  };
}
