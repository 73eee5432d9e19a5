/**
 * Revoking a device (decommissioning it): its credentials stop working at the broker and its live session
 * is closed, its desired state is withdrawn (no bundle is served to it any more), and it leaves the active
 * rollouts that hold it. Rollouts and federated rounds select only devices that are not revoked
 * (`DeviceRegistry.members`). A gateway's children go with it. The row stays, with `revokedAt`, so the
 * device's history and audit trail remain readable.
 */
import type { Logger } from 'pino';
import type { MessageBroker } from '../broker/message-broker.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { RolloutStore } from '../rollouts/rollout-store.js';
import type { DeviceRegistry } from './device-registry.js';

export interface Revocation {
  /** The ids revoked (the device and its children); empty when it was revoked before. */
  revokeDevice(deviceId: string): Promise<{ revoked: string[]; leftRollouts: number }>;
}

export function createRevocation(options: {
  rollouts: Pick<RolloutStore, 'removeFromActive'>;
  devices: DeviceRegistry;
  broker: MessageBroker;
  desired: DesiredState;
  logger: Logger;
}): Revocation {
  return {
    async revokeDevice(deviceId) {
      const revoked = await options.devices.revoke(deviceId);
      if (revoked.length === 0) return { revoked, leftRollouts: 0 };
      // Children never log in themselves: the gateway's session is theirs.
      await options.broker.revokeDevice(deviceId);
      for (const id of revoked) await options.desired.withdraw(id);
      const leftRollouts = await options.rollouts.removeFromActive(revoked);
      options.logger.warn({ deviceId, revoked, leftRollouts }, 'device revoked');
      return { revoked, leftRollouts };
    },
  };
}
