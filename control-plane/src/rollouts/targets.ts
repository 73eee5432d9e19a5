/**
 * What a rollout wants each of its devices to run right now, and the idempotent assignment of it. A device
 * in a finished wave runs the new version; in the current wave (once assigned) the new version, or in a
 * shadow wave its champion with the new version as shadow (compared as the plan's `compare` says); in a
 * later wave its champion. After completion
 * everyone gets the new version, after a rollback the rollback version, after an abort the champion.
 * Assigning is idempotent (a device whose desired document already says so is not re-signed), which is
 * what makes a restart mid-wave safe: re-running a step never assigns a device twice.
 */
import type { OutputComparison } from '@edgefleet/protocol';
import type { Assignment } from '../desired/desired-state.js';
import { planOf, type RolloutContext } from './rollout-context.js';
import type { MemberRow, RolloutRow, WaveRow } from './rollout-store.js';
import { stateOf } from './rollout-store.js';

export type Target = {
  readonly version: number;
  readonly shadow?: number;
  readonly compare?: OutputComparison;
} | null;

export function rollbackVersionOf(row: RolloutRow): number | null {
  const rollback = (row.outcome as { rollback?: { version?: unknown } } | null)?.rollback;
  return typeof rollback?.version === 'number' ? rollback.version : null;
}

function championOf(row: RolloutRow, member: MemberRow): Target {
  const version = member.championVersion ?? row.championVersion;
  return version === null ? null : { version };
}

/** The target of a member of the wave being installed (live or shadow). */
export function waveTarget(row: RolloutRow, member: MemberRow, mode: 'live' | 'shadow'): Target {
  if (mode === 'live') return { version: row.version };
  const champion = championOf(row, member);
  if (champion === null) return { version: row.version };
  const compare = planOf(row).compare;
  return { version: champion.version, shadow: row.version, ...(compare === undefined ? {} : { compare }) };
}

const sameComparison = (a: OutputComparison | undefined, b: OutputComparison | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** 'queued': the member waits for the orchestrator to assign it within the concurrency budget. */
export function targetOf(row: RolloutRow, member: MemberRow, waves: readonly WaveRow[]): Target | 'queued' {
  const state = stateOf(row);
  if (state === 'completed' || state === 'failed') return { version: row.version };
  if (state === 'rolled-back' || state === 'rolling-back') {
    const version = rollbackVersionOf(row);
    return version === null ? championOf(row, member) : { version };
  }
  if (state === 'aborted' || state === 'pending') return championOf(row, member);
  if (member.wave < row.currentWave) return { version: row.version };
  if (member.wave > row.currentWave) return championOf(row, member);
  const wave = waves.find((w) => w.index === member.wave);
  if (wave === undefined || wave.startedAt === null) return championOf(row, member);
  if (wave.state === 'promoted' || wave.state === 'passed') return { version: row.version };
  if (member.assignedAt === null && wave.state === 'installing') return 'queued';
  return waveTarget(row, member, wave.mode);
}

/** Puts `target` into the device's desired document for the rollout's line; false when already there. */
export async function assignTarget(
  ctx: RolloutContext,
  row: RolloutRow,
  deviceId: string,
  target: Target,
): Promise<boolean> {
  if (target === null) return false;
  const assignments = (await ctx.desired.current(deviceId))?.assignments ?? [];
  const existing = assignments.find((a) => a.line === row.line);
  if (
    existing !== undefined &&
    existing.version === target.version &&
    existing.shadow === target.shadow &&
    sameComparison(existing.compare, target.compare)
  ) {
    return false;
  }
  const next: Assignment = {
    line: row.line,
    version: target.version,
    ...(target.shadow === undefined ? {} : { shadow: target.shadow }),
    ...(target.shadow === undefined || target.compare === undefined ? {} : { compare: target.compare }),
  };
  const updated =
    existing === undefined ? [...assignments, next] : assignments.map((a) => (a.line === row.line ? next : a));
  await ctx.desired.assign({ deviceId, assignments: updated, rolloutId: row.id });
  return true;
}

/** The version of the line the device is meant to run now (its desired document), else what it reports. */
export async function currentVersionOf(ctx: RolloutContext, deviceId: string, line: string): Promise<number | null> {
  const desired = (await ctx.desired.current(deviceId))?.assignments.find((a) => a.line === line);
  if (desired !== undefined) return desired.version;
  const installed = (await ctx.devices.installed(deviceId)).filter((m) => m.line === line);
  return installed.length === 0 ? null : Math.max(...installed.map((m) => m.version));
}
