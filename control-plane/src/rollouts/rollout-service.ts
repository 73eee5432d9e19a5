/**
 * Staged rollouts (DESIGN.md §5): the handle the HTTP routes, ingest and the clock use. It creates
 * a rollout from a plan (rollout-creation.ts), answers what is rolled out (rollout-view.ts), applies
 * operator actions (rollout-actions.ts), feeds device reports and install events to the orchestrator
 * (device-progress.ts) and gives late-enrolling devices the rollout's current target (late-enrolment.ts).
 * All work on one rollout goes through its queue (rollout-queue.ts): serialised, event-driven steps
 * coalesced.
 */
import type { EventRecord, ReportedMessage } from '@edgefleet/protocol';
import type { FleetEventListener } from '../events/event-bus.js';
import { progressFromEvent, progressFromReport } from './device-progress.js';
import { enrolLate } from './late-enrolment.js';
import { createOrchestrator } from './orchestrator.js';
import type { RolloutPlan } from './plan.js';
import { applyAction, type RolloutAction } from './rollout-actions.js';
import type { RolloutContext } from './rollout-context.js';
import { insertRollout } from './rollout-creation.js';
import { createRolloutQueue } from './rollout-queue.js';
import { type RolloutView, rolloutView } from './rollout-view.js';

export type { RolloutAction } from './rollout-actions.js';

export interface RolloutService {
  /** `allowEmpty`: the legacy group body may target a group with no devices yet (they get it on enrolment). */
  create(options: { plan: RolloutPlan; createdBy: string; allowEmpty?: boolean }): Promise<RolloutView>;
  get(id: string): Promise<RolloutView>;
  list(): Promise<RolloutView[]>;
  act(id: string, action: RolloutAction, options: { actor: string; reason?: string }): Promise<RolloutView>;
  /** Steps every active rollout (the clock's tick calls this). */
  tick(): Promise<void>;
  /** Gives a newly enrolled device the current target of every rollout whose selector it matches. */
  onDeviceEnrolled(deviceId: string): Promise<void>;
  onReported(deviceId: string, reported: ReportedMessage): Promise<void>;
  onEvent(deviceId: string, event: EventRecord): Promise<void>;
  on(event: 'event', listener: FleetEventListener): void;
  off(event: 'event', listener: FleetEventListener): void;
}

export function createRolloutService(ctx: RolloutContext): RolloutService {
  const { store } = ctx;
  const orchestrator = createOrchestrator(ctx);
  const queue = createRolloutQueue({ step: (id) => orchestrator.step(id), logger: ctx.logger });

  const get = async (id: string) => rolloutView(store, await store.get(id));

  return {
    async create({ plan, createdBy, allowEmpty = false }) {
      const id = await insertRollout(ctx, { plan, createdBy, allowEmpty });
      await queue.serial(id, () => queue.stepSafely(id));
      return get(id);
    },
    get,
    list: async () => Promise.all((await store.all()).map((r) => rolloutView(store, r))),
    async act(id, action, { actor, reason }) {
      await store.get(id); // NOT_FOUND first
      return queue.serial(id, async () => {
        await applyAction(ctx, orchestrator, { id, action, actor, reason });
        await queue.stepSafely(id);
        return get(id);
      });
    },
    async tick() {
      await Promise.all((await store.active()).map((r) => queue.schedule(r.id)));
    },
    onDeviceEnrolled: (deviceId) => enrolLate(ctx, queue, deviceId),
    async onReported(deviceId, reported) {
      await Promise.all((await progressFromReport(ctx, deviceId, reported)).map(queue.schedule));
    },
    async onEvent(deviceId, event) {
      await Promise.all((await progressFromEvent(ctx, deviceId, event)).map(queue.schedule));
    },
    on: (event, listener) => ctx.bus.on(event, listener),
    off: (event, listener) => ctx.bus.off(event, listener),
  };
}
