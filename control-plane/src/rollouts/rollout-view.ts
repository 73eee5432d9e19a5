/**
 * The read model of a rollout for the API: plan, state, current wave, per-wave devices, status counts
 * (offline counted apart) and gate results with their numbers, the rollback record, and per-device
 * status. `counts` at the top keeps its single-wave shape (pending/installing/installed/failed).
 */
import { countStatuses, type DeviceRolloutStatus } from './device-status.js';
import { planOf } from './rollout-context.js';
import { type RolloutRow, type RolloutStore, stateOf } from './rollout-store.js';

export async function rolloutView(store: RolloutStore, row: RolloutRow) {
  const [members, waves] = await Promise.all([store.members(row.id), store.waves(row.id)]);
  const all = countStatuses(members.map((m) => m.status));
  const outcome = row.outcome as { rollback?: Record<string, unknown>; reason?: string } | null;
  return {
    id: row.id,
    line: row.line,
    version: row.version,
    championVersion: row.championVersion,
    group: row.group,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    state: stateOf(row),
    plan: planOf(row),
    currentWave: row.currentWave,
    counts: { pending: all.pending, installing: all.installing, installed: all.installed, failed: all.failed },
    offline: all.offline,
    waves: waves.map((w) => {
      const inWave = members.filter((m) => m.wave === w.index);
      return {
        index: w.index,
        mode: w.mode,
        devices: inWave.map((m) => m.deviceId),
        state: w.state,
        counts: countStatuses(inWave.map((m) => m.status)),
        gates: w.gates,
      };
    }),
    ...(outcome?.rollback === undefined ? {} : { rollback: { reason: outcome.reason, ...outcome.rollback } }),
    ...(outcome === null || outcome.reason === undefined ? {} : { reason: outcome.reason }),
    devices: members.map((m) => ({
      deviceId: m.deviceId,
      status: m.status as DeviceRolloutStatus,
      ...(m.error === null ? {} : { error: m.error }),
    })),
  };
}

export type RolloutView = Awaited<ReturnType<typeof rolloutView>>;
