/**
 * One scheduler leader among control-plane replicas. A follower tries the leader lock every `retryMs`; once it
 * holds it, it becomes leader and starts the leader duties (rollout ticks, drift judge, desired refresh, FL
 * jobs). A leader checks its lock at the same pace; losing it (the lock connection dropped or was terminated)
 * stops the duties at once and makes it a follower again. `stop()` stops the duties and releases the lock so
 * a follower takes over on its next try. The retry runs on real timers, not the injectable Clock: leadership
 * follows real connections, and a test's manual clock must not freeze failover.
 */
import type { Logger } from 'pino';
import type { LeaderLock } from './leader-lock.js';

export type SchedulerState = 'follower' | 'leader' | 'stopped';

const MOVES: Readonly<Record<SchedulerState, readonly SchedulerState[]>> = {
  follower: ['leader', 'stopped'],
  leader: ['follower', 'stopped'],
  stopped: [],
};

export function transitionScheduler(from: SchedulerState, to: SchedulerState): SchedulerState {
  if (!MOVES[from].includes(to)) throw new Error(`illegal scheduler transition ${from} → ${to}`);
  return to;
}

export interface LeaderDuties {
  /** Starts the leader-only work; resolves after the first step of each (a resumed rollout stepped once). */
  start(): Promise<void>;
  stop(): void;
}

export interface LeaderElection {
  state(): SchedulerState;
  /** How often this process became leader. */
  terms(): number;
  onChange(listener: (state: SchedulerState) => void): void;
  stop(): Promise<void>;
}

export const LEADER_RETRY_MS = 2_000;

/** Resolves after the first try, so a process that can lead is leader when this returns. */
export async function startLeaderElection(options: {
  lock: LeaderLock;
  duties: LeaderDuties;
  logger: Logger;
  retryMs?: number;
}): Promise<LeaderElection> {
  const { lock, duties, logger } = options;
  const retryMs = options.retryMs ?? LEADER_RETRY_MS;
  const listeners: ((state: SchedulerState) => void)[] = [];
  let state: SchedulerState = 'follower';
  let terms = 0;
  let timer: NodeJS.Timeout | null = null;
  let stepping: Promise<void> = Promise.resolve();

  const move = (to: SchedulerState) => {
    state = transitionScheduler(state, to);
    logger.info({ state }, 'scheduler state');
    for (const listener of listeners) listener(state);
  };

  function depose() {
    if (state !== 'leader') return;
    duties.stop();
    move('follower');
  }
  lock.onLost(depose);

  async function step() {
    if (state === 'follower') {
      let held = false;
      try {
        held = await lock.tryAcquire();
      } catch (error) {
        logger.warn({ err: error }, 'scheduler lock try failed');
      }
      if (held && state === 'follower') {
        terms += 1;
        move('leader');
        try {
          await duties.start();
        } catch (error) {
          logger.error({ err: error }, 'leader duties failed to start');
        }
      }
    } else if (state === 'leader' && !(await lock.check())) {
      depose();
    }
  }

  const schedule = () => {
    if (state === 'stopped') return;
    timer = setTimeout(() => {
      stepping = step()
        .catch((error: unknown) => logger.error({ err: error }, 'scheduler step failed'))
        .finally(schedule);
    }, retryMs);
    timer.unref();
  };
  stepping = step();
  await stepping;
  schedule();

  return {
    state: () => state,
    terms: () => terms,
    onChange(listener) {
      listeners.push(listener);
    },
    async stop() {
      if (state === 'stopped') return;
      if (timer !== null) clearTimeout(timer);
      await stepping.catch(() => {});
      if (timer !== null) clearTimeout(timer);
      if (state === 'leader') duties.stop();
      move('stopped');
      await lock.release();
    },
  };
}
