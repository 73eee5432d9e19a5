/**
 * The per-device status within a rollout, as an explicit state machine: pending → installing → installed |
 * failed (a device may also jump from pending straight to an outcome when its progress report was missed).
 * `offline` is where the install timeout puts a device the broker says is offline: it is counted apart,
 * does not block its wave, and may still install when it comes back (it finds its retained desired doc).
 */
import { ControlPlaneError } from '../errors.js';

export const DEVICE_STATUSES = ['pending', 'installing', 'installed', 'failed', 'offline'] as const;
export type DeviceRolloutStatus = (typeof DEVICE_STATUSES)[number];

const ALLOWED: Readonly<Record<DeviceRolloutStatus, readonly DeviceRolloutStatus[]>> = {
  pending: ['installing', 'installed', 'failed', 'offline'],
  installing: ['installed', 'failed', 'offline'],
  installed: [],
  failed: [],
  offline: ['installing', 'installed', 'failed'],
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
  const counts: StatusCounts = { pending: 0, installing: 0, installed: 0, failed: 0, offline: 0 };
  for (const s of statuses) counts[s]++;
  return counts;
}
