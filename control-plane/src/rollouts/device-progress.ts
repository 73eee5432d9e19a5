/**
 * Turns what a device says about its installs into rollout member status (DESIGN.md §5): `reported`
 * messages (install in progress, installed models, shadows) and install events move the device's member
 * row in every rollout of that line and version, through the checked member transition
 * (device-status.ts). Moves the transition rejects (a late or repeated report) are ignored, not errors.
 * Returns the active rollouts that changed, for the caller to step.
 */
import type { EventRecord, ReportedMessage } from '@edgefleet/protocol';
import { type DeviceRolloutStatus, transitionDeviceStatus } from './device-status.js';
import type { RolloutContext } from './rollout-context.js';
import { isActive } from './rollout-state.js';
import { stateOf } from './rollout-store.js';

type Memberships = Awaited<ReturnType<RolloutContext['store']['membershipsOf']>>;

/** Moves the device's member rows of `change.line` v`change.version`; updates `memberships` to match. */
async function advance(
  ctx: RolloutContext,
  deviceId: string,
  memberships: Memberships,
  change: { line: string; version: number; to: DeviceRolloutStatus; error?: string },
): Promise<string[]> {
  const { store, logger } = ctx;
  const { to, error } = change;
  const touched: string[] = [];
  for (const membership of memberships) {
    const { m, r } = membership;
    if (r.line !== change.line || r.version !== change.version || m.status === to) continue;
    try {
      transitionDeviceStatus(m.status, to);
    } catch (cause) {
      logger.debug({ deviceId, rolloutId: m.rolloutId, err: cause }, 'ignored rollout status update');
      continue;
    }
    await store.setMemberStatus(m.rolloutId, deviceId, to, error ?? null);
    membership.m = { ...m, status: to, error: error ?? null };
    logger.info(
      { deviceId, rolloutId: m.rolloutId, line: change.line, version: change.version, status: to },
      'rollout device status',
    );
    if (isActive(stateOf(r))) touched.push(r.id);
  }
  return touched;
}

/** Applies a `reported` message; returns the active rollouts it touched (each once). */
export async function progressFromReport(
  ctx: RolloutContext,
  deviceId: string,
  reported: ReportedMessage,
): Promise<string[]> {
  const touched = new Set<string>();
  const add = (ids: string[]) => {
    for (const id of ids) touched.add(id);
  };
  const to = (m: { line: string; version: number }, status: DeviceRolloutStatus) => ({
    line: m.line,
    version: m.version,
    to: status,
  });
  const shadows = reported.shadows ?? [];
  if (reported.install === null && reported.installed.length === 0 && shadows.length === 0) return [];
  // Read once per message (a report lists every installed model), kept current by advance.
  const memberships = await ctx.store.membershipsOf(deviceId);
  if (memberships.length === 0) return [];
  if (reported.install !== null) add(await advance(ctx, deviceId, memberships, to(reported.install, 'installing')));
  for (const m of reported.installed) add(await advance(ctx, deviceId, memberships, to(m, 'installed')));
  // A shadow wave's install is the challenger running beside the champion.
  for (const m of shadows) add(await advance(ctx, deviceId, memberships, to(m, 'installed')));
  return [...touched];
}

const EVENT_STATUS = new Map<string, DeviceRolloutStatus>([
  ['install-started', 'installing'],
  ['install-completed', 'installed'],
  ['install-failed', 'failed'],
]);

/** Applies an install event; returns the active rollouts it touched. */
export async function progressFromEvent(ctx: RolloutContext, deviceId: string, event: EventRecord): Promise<string[]> {
  if (event.line === undefined || event.version === undefined) return [];
  const target = { line: event.line, version: event.version };
  const status = EVENT_STATUS.get(event.kind);
  if (status === undefined) return [];
  const error = status === 'failed' ? (event.error?.message ?? 'install failed') : undefined;
  const memberships = await ctx.store.membershipsOf(deviceId);
  return advance(ctx, deviceId, memberships, { ...target, to: status, ...(error === undefined ? {} : { error }) });
}
