/**
 * The device registry: enrolled devices, their broker credentials (sha256 of the password only), their
 * connection state (explicit 'online' | 'offline', driven by the broker's client events) and the latest
 * reported state. Read models for the HTTP API are assembled here so routes stay thin.
 */
import { eq } from 'drizzle-orm';
import { secretMatches } from '../auth/secrets.js';
import type { Db } from '../db/open-database.js';
import { deviceReported, devices } from '../db/schema.js';
import { ControlPlaneError } from '../errors.js';

export type ConnectionState = 'online' | 'offline';
export type DeviceRow = typeof devices.$inferSelect;

export interface InstalledModel {
  readonly line: string;
  readonly version: number;
}

export interface DeviceRegistry {
  exists(deviceId: string): boolean;
  /** The device, or a DEVICE_UNKNOWN error. */
  get(deviceId: string): DeviceRow;
  list(): DeviceRow[];
  inGroup(group: string): DeviceRow[];
  verifyPassword(deviceId: string, password: Uint8Array): boolean;
  setConnection(deviceId: string, state: ConnectionState): void;
  touch(deviceId: string): void;
  storeReported(deviceId: string, reported: Record<string, unknown>): void;
  reported(deviceId: string): Record<string, unknown> | null;
  installed(deviceId: string): InstalledModel[];
}

export function createDeviceRegistry(options: { db: Db; now: () => number }): DeviceRegistry {
  const { db, now } = options;
  const find = (deviceId: string) => db.select().from(devices).where(eq(devices.id, deviceId)).get();
  const reported = (deviceId: string) =>
    db.select().from(deviceReported).where(eq(deviceReported.deviceId, deviceId)).get()?.reported ?? null;
  return {
    exists: (deviceId) => find(deviceId) !== undefined,
    get(deviceId) {
      const row = find(deviceId);
      if (row === undefined)
        throw new ControlPlaneError('DEVICE_UNKNOWN', `no device ${deviceId}`, { details: { deviceId } });
      return row;
    },
    list: () => db.select().from(devices).orderBy(devices.id).all(),
    inGroup: (group) => db.select().from(devices).where(eq(devices.group, group)).orderBy(devices.id).all(),
    verifyPassword: (deviceId, password) => secretMatches(password, find(deviceId)?.passwordHash ?? null),
    setConnection(deviceId, state) {
      db.update(devices).set({ connection: state, lastSeenAt: now() }).where(eq(devices.id, deviceId)).run();
    },
    touch(deviceId) {
      db.update(devices).set({ lastSeenAt: now() }).where(eq(devices.id, deviceId)).run();
    },
    storeReported(deviceId, value) {
      const updatedAt = now();
      db.insert(deviceReported)
        .values({ deviceId, reported: value, updatedAt })
        .onConflictDoUpdate({ target: deviceReported.deviceId, set: { reported: value, updatedAt } })
        .run();
    },
    reported,
    installed(deviceId) {
      const value = reported(deviceId);
      const list = Array.isArray(value?.installed) ? (value.installed as InstalledModel[]) : [];
      return list.map((m) => ({ line: m.line, version: m.version }));
    },
  };
}
