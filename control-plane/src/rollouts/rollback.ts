/**
 * Rollback (DESIGN.md §3): never a downgrade. The champion's content is registered again as a
 * NEW version of the line (latest + 1, same bundle digest, `lineage.contentOf` = champion, parents = [the
 * rolled-back version]) and assigned to every device the rollout targeted, so the whole selector ends on
 * one version (group-consistent). When the targeted devices ran different champions, the majority's
 * champion is used (ties: the higher version) and the record says so in `note`. The version is persisted
 * before any device is assigned, so a restart half-way finishes the same rollback instead of registering
 * another version.
 */
import { ControlPlaneError } from '../errors.js';
import { move, type RolloutContext } from './rollout-context.js';
import type { RolloutRow } from './rollout-store.js';
import { assignTarget, rollbackVersionOf } from './targets.js';

/** The majority champion of the rollout's devices (null when none ran the line). */
async function majorityChampion(
  ctx: RolloutContext,
  row: RolloutRow,
): Promise<{ version: number | null; note?: string }> {
  const tally = new Map<number, number>();
  for (const m of await ctx.store.members(row.id)) {
    if (m.championVersion !== null) tally.set(m.championVersion, (tally.get(m.championVersion) ?? 0) + 1);
  }
  if (tally.size === 0) return { version: row.championVersion };
  const [best] = [...tally.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
  const version = (best as [number, number])[0];
  if (tally.size === 1) return { version };
  const spread = [...tally.entries()].map(([v, n]) => `v${v}×${n}`).join(', ');
  return { version, note: `targeted devices ran ${spread}; rolled back to the majority champion v${version}` };
}

/** Completes a rollout in `rolling-back`: registers (once) and assigns the rollback version, → rolled-back. */
export async function performRollback(ctx: RolloutContext, row: RolloutRow): Promise<RolloutRow> {
  let current = row;
  let version = rollbackVersionOf(current);
  if (version === null) {
    const champion = await majorityChampion(ctx, current);
    if (champion.version === null) {
      throw new ControlPlaneError('CONFLICT', `rollout ${row.id}: no champion version to roll back to`, {
        details: { rolloutId: row.id },
      });
    }
    const registered = await ctx.registry.registerRollback({
      line: row.line,
      contentOf: champion.version,
      rolledBack: row.version,
    });
    version = registered.version;
    const outcome = (current.outcome ?? {}) as Record<string, unknown>;
    const rollback = {
      ...((outcome.rollback as Record<string, unknown> | undefined) ?? {}),
      version,
      contentOf: champion.version,
      ...(champion.note === undefined ? {} : { note: champion.note }),
    };
    await ctx.store.update(row.id, { outcome: { ...outcome, rollback } });
    current = await ctx.store.get(row.id);
    ctx.logger.warn({ rolloutId: row.id, line: row.line, version, contentOf: champion.version }, 'rollback registered');
  }
  for (const m of await ctx.store.members(row.id)) await assignTarget(ctx, current, m.deviceId, { version });
  return move(ctx, current, 'rolled-back', { reason: `assigned v${version} to every targeted device` });
}

export async function canRollBack(ctx: RolloutContext, row: RolloutRow): Promise<boolean> {
  return rollbackVersionOf(row) !== null || (await majorityChampion(ctx, row)).version !== null;
}
