/**
 * Revoking a device (decommissioning it): its credentials stop working at the broker and its live session
 * is closed, its desired state is withdrawn (no bundle is served to it any more), and it leaves the active
 * rollouts that hold it. Rollouts and federated rounds select only devices that are not revoked
 * (`DeviceRegistry.members`). A gateway's children go with it. The row stays, with `revokedAt`, so the
 * device's history and audit trail remain readable.
 */
import { and, inArray } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { MessageBroker } from '../broker/message-broker.js';
import type { Database } from '../db/database.js';
import type { DesiredState } from '../desired/desired-state.js';
import { isActive, isRolloutState } from '../rollouts/rollout-state.js';
import type { DeviceRegistry } from './device-registry.js';

export interface Revocation {
  /** The ids revoked (the device and its children); empty when it was revoked before. */
  revokeDevice(deviceId: string): Promise<{ revoked: string[]; leftRollouts: number }>;
}

export function createRevocation(options: {
  database: Database;
  devices: DeviceRegistry;
  broker: MessageBroker;
  desired: DesiredState;
  logger: Logger;
}): Revocation {
  const { db, tables } = options.database;
  return {
    async revokeDevice(deviceId) {
      const revoked = await options.devices.revoke(deviceId);
      if (revoked.length === 0) return { revoked, leftRollouts: 0 };
      // Children never log in themselves: the gateway's session is theirs.
      await options.broker.revokeDevice(deviceId);
      for (const id of revoked) await options.desired.withdraw(id);
      const active = (await db.select({ id: tables.rollouts.id, state: tables.rollouts.state }).from(tables.rollouts))
        .filter((r) => isRolloutState(r.state) && isActive(r.state))
        .map((r) => r.id);
      let leftRollouts = 0;
      if (active.length > 0) {
        const left = await db
          .delete(tables.rolloutDevices)
          .where(
            and(inArray(tables.rolloutDevices.deviceId, revoked), inArray(tables.rolloutDevices.rolloutId, active)),
          )
          .returning({ rolloutId: tables.rolloutDevices.rolloutId });
        leftRollouts = new Set(left.map((r) => r.rolloutId)).size;
      }
      options.logger.warn({ deviceId, revoked, leftRollouts }, 'device revoked');
      return { revoked, leftRollouts };
    },
  };
}
