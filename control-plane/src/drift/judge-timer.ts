/**
 * Runs the fleet drift judgement of closed cohort windows every `judgeIntervalMs` on the injectable Clock
 * (so tests and the simulator can advance time); `stop()` cancels it on control-plane close. The timer
 * re-arms as it fires and the judgements (database work) run one after another on a promise chain, so a
 * clock advanced over several intervals judges at each of them and two judgements never overlap. With the defaults an alert is raised at most `graceMs + judgeIntervalMs` (20 s) after
 * its cohort window ends (drift/thresholds.ts).
 */
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';

export interface DriftJudgeTimer {
  stop(): void;
}

export function startDriftJudgeTimer(options: {
  clock: Clock;
  drift: { judgeClosedWindows(): Promise<number> };
  judgeIntervalMs: number;
  logger: Logger;
}): DriftJudgeTimer {
  const { clock, drift, judgeIntervalMs, logger } = options;
  // Only one move exists (running → stopped, idempotent), so no transition table is needed.
  let state: 'running' | 'stopped' = 'running';
  let cancel: () => void = () => {};
  let judging: Promise<void> = Promise.resolve();
  const judge = async () => {
    try {
      const judged = await drift.judgeClosedWindows();
      if (judged > 0) logger.debug({ judged }, 'closed cohort drift windows judged');
    } catch (error) {
      logger.error({ err: error }, 'cohort drift judgement failed');
    }
  };
  const tick = () => {
    judging = judging.then(judge);
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
