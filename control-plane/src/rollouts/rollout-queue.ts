/**
 * The per-rollout work queue: every piece of work on one rollout (creation's first step, operator actions,
 * late enrolments, orchestrator steps) runs after the earlier ones, so two steps never interleave on the
 * same rows. Event-driven steps are coalesced so a burst of install events costs one step, not one per
 * event (bench: test/bench/rollout-orchestrator.ts). A failing step is logged with its rollout, never
 * allowed to break the chain: the next tick simply steps it again.
 */
import type { Logger } from 'pino';

export interface RolloutQueue {
  /** Runs `fn` after every earlier piece of work on the rollout. */
  serial<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** One orchestrator step; a failure is logged, not thrown. */
  stepSafely(id: string): Promise<void>;
  /** Queues a step; every caller until the step starts shares it. */
  schedule(id: string): Promise<void>;
}

export function createRolloutQueue(options: { step: (id: string) => Promise<void>; logger: Logger }): RolloutQueue {
  const { step, logger } = options;
  const chains = new Map<string, Promise<void>>();
  const queued = new Map<string, Promise<void>>();

  const serial = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const result = (chains.get(id) ?? Promise.resolve()).then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    chains.set(id, tail);
    void tail.then(() => {
      if (chains.get(id) === tail) chains.delete(id);
    });
    return result;
  };

  const stepSafely = async (id: string) => {
    try {
      await step(id);
    } catch (error) {
      logger.error({ rolloutId: id, err: error }, 'rollout step failed');
    }
  };

  const schedule = (id: string): Promise<void> => {
    const existing = queued.get(id);
    if (existing !== undefined) return existing;
    const next = serial(id, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      queued.delete(id);
      await stepSafely(id);
    });
    queued.set(id, next);
    return next;
  };

  return { serial, stepSafely, schedule };
}
