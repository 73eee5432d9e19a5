/**
 * Late enrolment (DESIGN.md §5): a device enrolled after a rollout was created still gets what that rollout
 * wants for it. For each line, the newest rollout whose selector matches the device decides: an active one
 * takes the device as a member of its last wave (ranked after everyone else); a finished one just assigns
 * its final target (new version, rollback version or champion). Work runs on the rollout's queue so it
 * never interleaves with a step.
 */
import { matchesSelector } from './membership.js';
import { planOf, type RolloutContext } from './rollout-context.js';
import { profileOf } from './rollout-creation.js';
import type { RolloutQueue } from './rollout-queue.js';
import { isActive } from './rollout-state.js';
import { type MemberRow, type RolloutRow, stateOf } from './rollout-store.js';
import { assignTarget, currentVersionOf, targetOf } from './targets.js';

export async function enrolLate(ctx: RolloutContext, queue: RolloutQueue, deviceId: string): Promise<void> {
  const { store } = ctx;
  const device = await ctx.devices.get(deviceId);
  const profile = await profileOf(ctx, deviceId);
  const newestPerLine = new Map<string, RolloutRow>();
  for (const r of await store.all()) {
    if (!newestPerLine.has(r.line) && matchesSelector(planOf(r).selector, device, profile))
      newestPerLine.set(r.line, r);
  }
  for (const r of newestPerLine.values()) {
    const member: MemberRow = {
      rolloutId: r.id,
      deviceId,
      status: 'pending',
      error: null,
      updatedAt: ctx.now(),
      wave: planOf(r).waves.length - 1,
      rank: (await store.maxRank(r.id)) + 1,
      assignedAt: null,
      championVersion: await currentVersionOf(ctx, deviceId, r.line),
    };
    if (isActive(stateOf(r))) await store.addMember(member);
    await queue.serial(r.id, async () => {
      const row = await store.get(r.id);
      const target = targetOf(row, (await store.member(r.id, deviceId)) ?? member, await store.waves(r.id));
      if (target === 'queued') return queue.stepSafely(r.id);
      await assignTarget(ctx, row, deviceId, target);
      if (target !== null && (await store.member(r.id, deviceId)) !== undefined) {
        await store.updateMember(r.id, deviceId, { assignedAt: ctx.now() });
      }
    });
  }
}
