/**
 * Creating a rollout from a plan (DESIGN.md §5): the plan's targets are validated before anything
 * is recorded — the model version exists, the selector matches at least one enrolled device (unless the
 * legacy group body allows an empty group), no targeted device is already in an active rollout of the line,
 * the version is above every targeted device's champion, a shadow wave has a champion to run beside, and
 * the output `compare` names exists in the new version and in every champion version —
 * then the rollout, its waves and its members (ranked into waves) are stored as `pending`.
 */
import { randomBytes } from 'node:crypto';
import { ControlPlaneError } from '../errors.js';
import { assignWaves, hardwareProfileOf, matchesSelector } from './membership.js';
import { type RolloutPlan, waveModeOf } from './plan.js';
import { type RolloutContext, record } from './rollout-context.js';
import type { MemberRow } from './rollout-store.js';
import { currentVersionOf } from './targets.js';

/** The device's hardware profile, as selectors and wave assignment see it. */
export async function profileOf(ctx: RolloutContext, deviceId: string): Promise<string | null> {
  return hardwareProfileOf(await ctx.devices.get(deviceId), await ctx.devices.reported(deviceId));
}

async function validateTargets(ctx: RolloutContext, plan: RolloutPlan, allowEmpty: boolean) {
  const { store, devices } = ctx;
  await ctx.registry.get(plan.line, plan.version); // NOT_FOUND before anything is recorded
  const profiles = new Map<string, string | null>();
  for (const d of await devices.members()) profiles.set(d.id, await profileOf(ctx, d.id));
  const targeted = (await devices.members()).filter((d) =>
    matchesSelector(plan.selector, d, profiles.get(d.id) ?? null),
  );
  if (targeted.length === 0 && !allowEmpty) {
    throw new ControlPlaneError('BODY_INVALID', 'request body is invalid: selector matches no enrolled device', {
      details: { issues: [{ path: 'selector', message: 'matches no enrolled device' }] },
    });
  }
  const ids = new Set(targeted.map((d) => d.id));
  for (const r of await store.active()) {
    if (r.line !== plan.line) continue;
    const busy = (await store.members(r.id)).find((m) => ids.has(m.deviceId));
    if (busy !== undefined) {
      throw new ControlPlaneError('CONFLICT', `${busy.deviceId} is already in active rollout ${r.id} of ${r.line}`, {
        details: { rolloutId: r.id, deviceId: busy.deviceId },
      });
    }
  }
  const champions: { deviceId: string; version: number | null }[] = [];
  for (const d of targeted) champions.push({ deviceId: d.id, version: await currentVersionOf(ctx, d.id, plan.line) });
  const ahead = champions.find((c) => c.version !== null && c.version >= plan.version);
  if (ahead !== undefined) {
    throw new ControlPlaneError('CONFLICT', `${ahead.deviceId} already runs ${plan.line} v${ahead.version}`, {
      details: { deviceId: ahead.deviceId, champion: ahead.version, version: plan.version },
    });
  }
  if (plan.waves.some((w) => waveModeOf(w) === 'shadow') && champions.some((c) => c.version === null)) {
    throw new ControlPlaneError('CONFLICT', 'a shadow wave needs a champion on every targeted device', {
      details: { line: plan.line },
    });
  }
  await checkComparedOutput(ctx, plan, [plan.version, ...champions.map((c) => c.version)]);
  return { targeted, profiles, champions: new Map(champions.map((c) => [c.deviceId, c.version])) };
}

/** `compare.output` must be an output of every version whose answers are compared. */
async function checkComparedOutput(ctx: RolloutContext, plan: RolloutPlan, versions: readonly (number | null)[]) {
  const output = plan.compare?.output;
  if (output === undefined) return;
  for (const version of new Set(versions)) {
    if (version === null) continue;
    const { manifest } = await ctx.registry.get(plan.line, version);
    if (!manifest.outputs.some((o) => o.name === output)) {
      throw new ControlPlaneError('BODY_INVALID', `compare.output: ${plan.line} v${version} has no output ${output}`, {
        details: { issues: [{ path: 'compare.output', message: `v${version} has no output ${output}` }] },
      });
    }
  }
}

/** The most common champion version (ties: the newest); null when no targeted device runs the line. */
function majority(versions: (number | null)[]): number | null {
  const tally = new Map<number, number>();
  for (const v of versions) if (v !== null) tally.set(v, (tally.get(v) ?? 0) + 1);
  return [...tally.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? null;
}

/** Validates the plan and stores the rollout as `pending`; returns its id. The first step is the caller's. */
export async function insertRollout(
  ctx: RolloutContext,
  options: { plan: RolloutPlan; createdBy: string; allowEmpty: boolean },
): Promise<string> {
  const { store, logger } = ctx;
  const { plan, createdBy, allowEmpty } = options;
  const { targeted, profiles, champions } = await validateTargets(ctx, plan, allowEmpty);
  const id = ctx.newRolloutId?.() ?? `ro-${randomBytes(6).toString('hex')}`;
  // Creation times strictly increase: "the newest rollout of a line" (late enrolment, listings) must not be a
  // tie. SQLite broke ties by rowid, PostgreSQL has no insertion order and broke them by the random id, so two
  // rollouts created in one millisecond came back in either order there (a late joiner got the older one's
  // target). Two replicas creating in the same millisecond can still tie; the id decides then.
  const now = Math.max(ctx.now(), (await store.latestCreatedAt()) + 1);
  const members = assignWaves({
    rolloutId: id,
    devices: targeted,
    waves: plan.waves,
    profileOf: (d) => profiles.get(d.id) ?? null,
  });
  await store.insert(
    {
      id,
      line: plan.line,
      version: plan.version,
      group: plan.selector.group ?? '',
      createdBy,
      createdAt: now,
      plan: { ...plan },
      state: 'pending',
      currentWave: 0,
      championVersion: majority([...champions.values()]),
      updatedAt: now,
    },
    plan.waves.map((w, index) => ({ rolloutId: id, index, mode: waveModeOf(w), state: 'pending' })),
    members.map(
      (m): MemberRow => ({
        rolloutId: id,
        deviceId: m.deviceId,
        status: 'pending',
        error: null,
        updatedAt: now,
        wave: m.wave,
        rank: m.rank,
        assignedAt: null,
        championVersion: champions.get(m.deviceId) ?? null,
      }),
    ),
  );
  logger.info({ rolloutId: id, line: plan.line, version: plan.version, devices: members.length }, 'rollout created');
  await record(ctx, { type: 'rollout.transition', rolloutId: id, from: null, to: 'pending', wave: 0 }, createdBy);
  return id;
}
