/**
 * The device registry: enrolled devices, their broker credentials (sha256 of the password only), their
 * connection state (explicit 'online' | 'offline', driven by the broker's client events) and the latest
 * reported state. Read models for the HTTP API are assembled here so routes stay thin. Child devices behind a
 * gateway (DESIGN.md §6) are rows with a `parentId`; they never log in to the broker themselves.
 */
import { count, eq } from 'drizzle-orm';
import { hashSecret, newSecret, secretMatches } from '../auth/secrets.js';
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
  /** Registers child `id` of `parent` with the parent's group and tags (its hardware comes with its reports). */
  createChild(id: string, parent: DeviceRow): DeviceRow;
  childCount(parentId: string): number;
  setConnection(deviceId: string, state: ConnectionState): void;
  /** A gateway's connection is its children's: they go offline with it. */
  setChildrenConnection(parentId: string, state: ConnectionState): void;
  /** Records the hardware a child reports (what enrolment records for a device). */
  setHardware(deviceId: string, hardware: Record<string, unknown>): void;
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
    verifyPassword(deviceId, password) {
      const row = find(deviceId);
      // Hashed whatever the row, so an unknown id and a child id take the same time as a wrong password.
      const matches = secretMatches(password, row?.passwordHash ?? null);
      return matches && row?.parentId === null;
    },
    createChild(id, parent) {
      const row = {
        id,
        group: parent.group,
        tags: parent.tags,
        // A secret nobody is told: together with verifyPassword's parentId check, no broker login is possible.
        passwordHash: hashSecret(newSecret()),
        hardware: null,
        connection: 'online' as const,
        enrolledAt: now(),
        lastSeenAt: now(),
        parentId: parent.id,
      };
      db.insert(devices).values(row).run();
      return row;
    },
    childCount: (parentId) =>
      db.select({ n: count() }).from(devices).where(eq(devices.parentId, parentId)).get()?.n ?? 0,
    setConnection(deviceId, state) {
      db.update(devices).set({ connection: state, lastSeenAt: now() }).where(eq(devices.id, deviceId)).run();
    },
    setChildrenConnection(parentId, state) {
      db.update(devices).set({ connection: state }).where(eq(devices.parentId, parentId)).run();
    },
    setHardware(deviceId, hardware) {
      db.update(devices).set({ hardware }).where(eq(devices.id, deviceId)).run();
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
