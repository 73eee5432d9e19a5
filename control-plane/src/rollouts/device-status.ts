/**
 * The per-device status within a rollout, as an explicit state machine: pending → installing → installed |
 * failed (a device may also jump from pending straight to an outcome when its progress report was missed).
 * Outcomes are terminal for that rollout: a new attempt is a new rollout. The rollout's own state is a pure
 * function of its devices' statuses, so it cannot disagree with them.
 */
import { ControlPlaneError } from '../errors.js';

export const DEVICE_STATUSES = ['pending', 'installing', 'installed', 'failed'] as const;
export type DeviceRolloutStatus = (typeof DEVICE_STATUSES)[number];
export type RolloutState = 'in-progress' | 'completed' | 'failed';

const ALLOWED: Readonly<Record<DeviceRolloutStatus, readonly DeviceRolloutStatus[]>> = {
  pending: ['installing', 'installed', 'failed'],
  installing: ['installed', 'failed'],
  installed: [],
  failed: [],
};

/** Returns `to` when the move is legal; throws INVALID_TRANSITION otherwise. */
export function transitionDeviceStatus(from: DeviceRolloutStatus, to: DeviceRolloutStatus): DeviceRolloutStatus {
  if (!ALLOWED[from].includes(to)) {
    throw new ControlPlaneError('INVALID_TRANSITION', `rollout device status cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
  return to;
}

export type StatusCounts = Record<DeviceRolloutStatus, number>;

export function countStatuses(statuses: readonly DeviceRolloutStatus[]): StatusCounts {
  const counts: StatusCounts = { pending: 0, installing: 0, installed: 0, failed: 0 };
  for (const s of statuses) counts[s]++;
  return counts;
}

/** completed: every device installed; failed: all settled and any failed; otherwise in progress. */
export function rolloutStateOf(counts: StatusCounts): RolloutState {
  if (counts.pending + counts.installing > 0) return 'in-progress';
  return counts.failed > 0 ? 'failed' : 'completed';
}
