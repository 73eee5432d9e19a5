/**
 * Read side of what devices sent: stored events and telemetry windows, newest first (by device seq).
 */
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { events, telemetryWindows } from '../db/schema.js';

export interface DeviceHistory {
  events(deviceId: string, limit: number): Omit<typeof events.$inferSelect, 'id' | 'deviceId'>[];
  telemetry(deviceId: string, limit: number): Omit<typeof telemetryWindows.$inferSelect, 'id' | 'deviceId'>[];
}

export function createDeviceHistory(options: { db: Db }): DeviceHistory {
  const { db } = options;
  return {
    events: (deviceId, limit) =>
      db
        .select()
        .from(events)
        .where(eq(events.deviceId, deviceId))
        .orderBy(desc(events.seq))
        .limit(limit)
        .all()
        .map(({ id: _id, deviceId: _d, ...rest }) => rest),
    telemetry: (deviceId, limit) =>
      db
        .select()
        .from(telemetryWindows)
        .where(eq(telemetryWindows.deviceId, deviceId))
        .orderBy(desc(telemetryWindows.seq))
        .limit(limit)
        .all()
        .map(({ id: _id, deviceId: _d, ...rest }) => rest),
  };
}
