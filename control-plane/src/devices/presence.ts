/**
 * Which devices are online when the broker does not say (an external Mosquitto tells a client nothing about
 * the others): a device is online from its first message, offline when its last will (`status: offline`)
 * arrives or when nothing came from it for `offlineAfterMs` (the agent's heartbeat is a `status: online`
 * every minute), and online again with its next message. Devices are remembered in memory, so a message
 * costs a set lookup, not a query; the registry's `connection` column is written only on changes.
 */
import type { Logger } from 'pino';
import type { DeviceRegistry } from './device-registry.js';

export interface Presence {
  /** A message from the device arrived. */
  seen(deviceId: string): void;
  /** The device said it is going (its will, or before a clean disconnect). */
  gone(deviceId: string): void;
  /** Marks offline every online device silent for longer than the timeout; returns how many. */
  sweep(): Promise<number>;
}

export function createPresence(options: {
  devices: DeviceRegistry;
  /** Writes a connection change (ordered with the broker's own reports). */
  connection(deviceId: string, state: 'online' | 'offline', options?: { onlyIfOffline?: boolean }): void;
  offlineAfterMs: number;
  now(): number;
  logger: Logger;
}): Presence {
  const known = new Set<string>();
  const away = new Set<string>();
  /** When this replica last heard from each device (the registry's lastSeenAt is kept to 5 s). */
  const heard = new Map<string, number>();
  return {
    seen(deviceId) {
      heard.set(deviceId, options.now());
      if (!known.has(deviceId)) {
        known.add(deviceId);
        options.connection(deviceId, 'online', { onlyIfOffline: true });
      } else if (away.delete(deviceId)) {
        options.connection(deviceId, 'online');
      }
    },
    gone(deviceId) {
      known.add(deviceId);
      away.add(deviceId);
      options.connection(deviceId, 'offline');
    },
    async sweep() {
      const cutoff = options.now() - options.offlineAfterMs;
      let marked = 0;
      for (const d of await options.devices.members()) {
        const last = Math.max(d.lastSeenAt ?? 0, heard.get(d.id) ?? 0);
        if (d.connection !== 'online' || d.parentId !== null || last >= cutoff) continue;
        known.add(d.id);
        away.add(d.id);
        options.connection(d.id, 'offline');
        marked++;
      }
      if (marked > 0)
        options.logger.info({ marked, offlineAfterMs: options.offlineAfterMs }, 'silent devices marked offline');
      return marked;
    },
  };
}
