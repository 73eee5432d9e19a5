/**
 * Read side of what devices sent: stored events and telemetry windows, newest first (by device seq).
 */
import { desc, eq } from 'drizzle-orm';
import type { Database, Tables } from '../db/database.js';

export interface DeviceHistory {
  events(deviceId: string, limit: number): Promise<Omit<Tables['events']['$inferSelect'], 'id' | 'deviceId'>[]>;
  telemetry(
    deviceId: string,
    limit: number,
  ): Promise<Omit<Tables['telemetryWindows']['$inferSelect'], 'id' | 'deviceId'>[]>;
}

export function createDeviceHistory(options: { database: Database }): DeviceHistory {
  const { db, tables } = options.database;
  const { events, telemetryWindows } = tables;
  return {
    events: async (deviceId, limit) =>
      (await db.select().from(events).where(eq(events.deviceId, deviceId)).orderBy(desc(events.seq)).limit(limit)).map(
        ({ id: _id, deviceId: _d, ...rest }) => rest,
      ),
    telemetry: async (deviceId, limit) =>
      (
        await db
          .select()
          .from(telemetryWindows)
          .where(eq(telemetryWindows.deviceId, deviceId))
          .orderBy(desc(telemetryWindows.seq))
          .limit(limit)
      ).map(({ id: _id, deviceId: _d, ...rest }) => rest),
  };
}
