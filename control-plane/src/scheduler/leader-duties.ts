/**
 * What only the scheduler leader runs: the rollout orchestrator's tick, the fleet drift judge, the desired-state
 * refresher and the federated jobs. `start()` resumes from the database — running FL jobs, due desired
 * documents, one step of every active rollout — then arms the timers; `stop()` cancels the timers and the
 * in-memory FL rounds (their jobs stay `running` in the database, so the next leader resumes them).
 */
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { startDesiredRefresher } from '../desired/desired-refresher.js';
import type { DesiredState } from '../desired/desired-state.js';
import { startDriftJudgeTimer } from '../drift/judge-timer.js';
import { startRolloutTicker } from '../rollouts/tick-timer.js';
import type { LeaderDuties } from './leader-election.js';

export function createLeaderDuties(options: {
  clock: Clock;
  logger: Logger;
  desired: DesiredState;
  drift: { judgeClosedWindows(): Promise<number> };
  fl: { resume(): Promise<void>; close(): void };
  rollouts: { tick(): Promise<void> };
  refreshIntervalMs: number;
  judgeIntervalMs: number;
  tickMs: number;
}): LeaderDuties {
  const { clock, logger } = options;
  let timers: { stop(): void }[] = [];
  let active = false;
  return {
    async start() {
      active = true;
      await options.fl.resume();
      await options.desired.refreshDue();
      timers = [
        startDesiredRefresher({
          clock,
          desired: options.desired,
          refreshIntervalMs: options.refreshIntervalMs,
          logger,
        }),
        startDriftJudgeTimer({ clock, drift: options.drift, judgeIntervalMs: options.judgeIntervalMs, logger }),
      ];
      // A new leader (or a restart) resumes every active rollout from the DB: the first step runs now.
      await options.rollouts.tick();
      // Deposed while the first step ran: stop() already cancelled the other timers.
      if (active)
        timers.push(startRolloutTicker({ clock, tickMs: options.tickMs, tick: options.rollouts.tick, logger }));
    },
    stop() {
      active = false;
      for (const timer of timers) timer.stop();
      timers = [];
      options.fl.close();
    },
  };
}
