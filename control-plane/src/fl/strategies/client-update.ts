/**
 * What a client contributes to a round — its model DELTA (local weights − the round's global weights, in the
 * flat MlpSpec layout) and how many local samples produced it — and the check every update passes before it
 * may enter an aggregate (protocol's `updateProblem`: exact length, finite values, positive integer count).
 */
import { updateProblem } from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';

export interface ClientUpdate {
  readonly deviceId: string;
  readonly delta: Float32Array;
  readonly sampleCount: number;
}

/** Throws FL_UPDATE_INVALID (with the device and the reason) unless the update is well-formed. */
export function validateUpdate(update: ClientUpdate, parameterCount: number): void {
  const problem = updateProblem(update.delta, update.sampleCount, parameterCount);
  if (problem !== null) {
    throw new ControlPlaneError('FL_UPDATE_INVALID', `update from ${update.deviceId}: ${problem.message}`, {
      details: { deviceId: update.deviceId, ...problem },
    });
  }
}

/**
 * The cheap structural check aggregation repeats (full validation happens once, at ingest): at least one
 * update, each with `parameterCount` coordinates.
 */
export function assertAggregatable(updates: readonly ClientUpdate[], parameterCount: number): void {
  if (updates.length === 0) throw new ControlPlaneError('FL_NO_UPDATES', 'no updates to aggregate');
  for (const update of updates) {
    if (update.delta.length !== parameterCount) {
      throw new ControlPlaneError('FL_UPDATE_INVALID', `update from ${update.deviceId} has the wrong length`, {
        details: { deviceId: update.deviceId, length: update.delta.length, expected: parameterCount },
      });
    }
  }
}
