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

async function advance(
  ctx: RolloutContext,
  deviceId: string,
  change: { line: string; version: number; to: DeviceRolloutStatus; error?: string },
): Promise<string[]> {
  const { store, logger } = ctx;
  const { to, error } = change;
  const touched: string[] = [];
  for (const { m, r } of await store.membershipsOf(deviceId)) {
    if (r.line !== change.line || r.version !== change.version || m.status === to) continue;
    try {
      transitionDeviceStatus(m.status, to);
    } catch (cause) {
      logger.debug({ deviceId, rolloutId: m.rolloutId, err: cause }, 'ignored rollout status update');
      continue;
    }
    await store.updateMember(m.rolloutId, deviceId, { status: to, error: error ?? null });
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
  if (reported.install !== null) add(await advance(ctx, deviceId, to(reported.install, 'installing')));
  for (const m of reported.installed) add(await advance(ctx, deviceId, to(m, 'installed')));
  // A shadow wave's install is the challenger running beside the champion.
  for (const m of reported.shadows ?? []) add(await advance(ctx, deviceId, to(m, 'installed')));
  return [...touched];
}

/** Applies an install event; returns the active rollouts it touched. */
export async function progressFromEvent(ctx: RolloutContext, deviceId: string, event: EventRecord): Promise<string[]> {
  if (event.line === undefined || event.version === undefined) return [];
  const target = { line: event.line, version: event.version };
  if (event.kind === 'install-started') return advance(ctx, deviceId, { ...target, to: 'installing' });
  if (event.kind === 'install-completed') return advance(ctx, deviceId, { ...target, to: 'installed' });
  if (event.kind === 'install-failed') {
    return advance(ctx, deviceId, { ...target, to: 'failed', error: event.error?.message ?? 'install failed' });
  }
  return [];
}
