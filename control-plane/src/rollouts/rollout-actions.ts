/**
 * Operator actions on a rollout (DESIGN.md §5): pause (remembering the phase to resume), resume,
 * abort, approve the next wave of a rollout awaiting approval, and a manual rollback to the champion.
 * Each action is one checked state move through rollout-context.ts `move`, so it is audited and emitted
 * like every automatic one; the orchestrator's next step carries it out.
 */
import { ControlPlaneError } from '../errors.js';
import type { Orchestrator } from './orchestrator.js';
import { canRollBack } from './rollback.js';
import { move, planOf, type RolloutContext } from './rollout-context.js';
import { isResumable } from './rollout-state.js';
import { stateOf } from './rollout-store.js';

export type RolloutAction = 'pause' | 'resume' | 'abort' | 'approve' | 'rollback';

/** Applies `action` to the rollout's current row; throws INVALID_TRANSITION / CONFLICT when it cannot. */
export async function applyAction(
  ctx: RolloutContext,
  orchestrator: Orchestrator,
  options: { id: string; action: RolloutAction; actor: string; reason?: string | undefined },
): Promise<void> {
  const { id, action, actor, reason } = options;
  const row = await ctx.store.get(id);
  const state = stateOf(row);
  const by = { actor, ...(reason === undefined ? {} : { reason }) };
  if (action === 'pause') await move(ctx, row, 'paused', { ...by, fields: { pausedFrom: state } });
  if (action === 'abort') await move(ctx, row, 'aborted', by);
  if (action === 'resume') {
    if (state !== 'paused' || !isResumable(row.pausedFrom)) {
      throw new ControlPlaneError('INVALID_TRANSITION', `rollout ${id} is ${state}, not paused`, {
        details: { state },
      });
    }
    await move(ctx, row, row.pausedFrom, { ...by, fields: { pausedFrom: null } });
  }
  if (action === 'approve') {
    if (state !== 'awaiting-approval') {
      throw new ControlPlaneError('INVALID_TRANSITION', `rollout ${id} is ${state}, not awaiting approval`, {
        details: { state },
      });
    }
    await orchestrator.advanceAfterPass(row, planOf(row), actor);
  }
  if (action === 'rollback') {
    if (!(await canRollBack(ctx, row))) {
      throw new ControlPlaneError('CONFLICT', `rollout ${id}: no champion version to roll back to`);
    }
    const why = reason ?? 'manual rollback';
    const outcome = {
      ...((row.outcome ?? {}) as Record<string, unknown>),
      reason: why,
      rollback: { reason: why, manual: true },
    };
    await move(ctx, row, 'rolling-back', { actor, reason: why, fields: { outcome } });
  }
}
