/**
 * What the orchestrator's parts share, and the one place a rollout changes state: `move` checks the
 * transition (rollout-state.ts), persists it, appends the audit row (actor 'orchestrator' for automatic
 * moves, the operator's token name for manual ones) and emits it on the event bus (DESIGN.md §5;
 * every transition goes to the audit log and the event stream).
 */
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import { ControlPlaneError } from '../errors.js';
import type { EventBus, FleetEventType } from '../events/event-bus.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import type { GateData } from './gate-data.js';
import { planSchema, type RolloutPlan } from './plan.js';
import { type RolloutState, transitionRollout } from './rollout-state.js';
import { type RolloutRow, type RolloutStore, stateOf } from './rollout-store.js';

export const ORCHESTRATOR_ACTOR = 'orchestrator';

export interface RolloutContext {
  readonly store: RolloutStore;
  readonly devices: DeviceRegistry;
  readonly registry: ModelRegistry;
  readonly desired: DesiredState;
  readonly data: GateData;
  readonly audit: AuditLog;
  readonly bus: EventBus;
  readonly logger: Logger;
  now(): number;
  /**
   * A new rollout's id; it also seeds the order devices are ranked into waves (membership.ts). Default:
   * random. The simulator passes a seeded one so that a scenario's waves repeat run to run.
   */
  readonly newRolloutId?: (() => string) | undefined;
}

/** The stored plan; rows from before plans existed read as one 100 % wave to their group. */
export function planOf(row: RolloutRow): RolloutPlan {
  const parsed = planSchema.safeParse(row.plan);
  if (parsed.success) return parsed.data;
  return planSchema.parse({
    line: row.line,
    version: row.version,
    selector: { group: row.group || 'unknown' },
    waves: [{ percent: 100 }],
    observationMs: 0,
  });
}

/** Emits on the bus and records the same facts in the audit log. */
export async function record(
  ctx: RolloutContext,
  event: { readonly type: FleetEventType; readonly rolloutId: string; readonly [key: string]: unknown },
  actor: string = ORCHESTRATOR_ACTOR,
): Promise<void> {
  const at = ctx.now();
  await ctx.audit.append({
    actor,
    action: event.type,
    target: `rollout:${event.rolloutId}`,
    status: 200,
    details: { ...event },
  });
  ctx.bus.emit({ ...event, at, actor });
}

export async function move(
  ctx: RolloutContext,
  row: RolloutRow,
  to: RolloutState,
  options: { actor?: string; reason?: string; fields?: Partial<RolloutRow> } = {},
): Promise<RolloutRow> {
  const from = stateOf(row);
  transitionRollout(from, to);
  if (!(await ctx.store.transition(row.id, row.state, { ...options.fields, state: to }))) {
    // Another scheduler moved the rollout since `row` was read: never apply a transition twice.
    throw new ControlPlaneError('CONFLICT', `rollout ${row.id} is no longer ${from}`, {
      details: { rolloutId: row.id, from, to, state: stateOf(await ctx.store.get(row.id)) },
    });
  }
  const next = await ctx.store.get(row.id);
  ctx.logger.info(
    { rolloutId: row.id, line: row.line, version: row.version, from, to, wave: next.currentWave },
    'rollout transition',
  );
  await record(
    ctx,
    {
      type: 'rollout.transition',
      rolloutId: row.id,
      from,
      to,
      wave: next.currentWave,
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    },
    options.actor,
  );
  return next;
}
