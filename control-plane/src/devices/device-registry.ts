/**
 * The device registry: enrolled devices, their broker credentials (sha256 of the password only), their
 * connection state (explicit 'online' | 'offline', driven by the broker's client events) and the latest
 * reported state. Read models for the HTTP API are assembled here so routes stay thin. Child devices behind a
 * gateway (DESIGN.md §6) are rows with a `parentId`; they never log in to the broker themselves.
 */
import { and, count, eq, isNull, or, sql } from 'drizzle-orm';
import { hashSecret, newSecret, secretMatches } from '../auth/secrets.js';
import type { Database, Tables } from '../db/database.js';
import { prepareOnce } from '../db/prepared.js';
import { ControlPlaneError } from '../errors.js';

export type ConnectionState = 'online' | 'offline';
export type DeviceRow = Tables['devices']['$inferSelect'];
export type DeviceMembership = Readonly<Pick<DeviceRow, 'id' | 'group' | 'tags'>>;

export interface InstalledModel {
  readonly line: string;
  readonly version: number;
}

export interface DeviceRegistry {
  exists(deviceId: string): Promise<boolean>;
  /** The device, or a DEVICE_UNKNOWN error. */
  get(deviceId: string): Promise<DeviceRow>;
  /** Its group and tags (fixed at enrolment, so kept once read), or a DEVICE_UNKNOWN error. */
  membership(deviceId: string): Promise<DeviceMembership>;
  list(): Promise<DeviceRow[]>;
  /** Devices that are fleet members: every one but the revoked (what rollouts and FL rounds select from). */
  members(): Promise<DeviceRow[]>;
  /**
   * Revokes the device and the children it carries: a fresh password hash nobody knows and `revokedAt`.
   * Returns the ids revoked now (empty when it was revoked already); DEVICE_UNKNOWN for an unknown id.
   */
  revoke(deviceId: string): Promise<string[]>;
  /** Revoked by this process since it started (a cheap check on the ingest path; the broker is the gate). */
  revokedHere(deviceId: string): boolean;
  inGroup(group: string): Promise<DeviceRow[]>;
  verifyPassword(deviceId: string, password: Uint8Array): Promise<boolean>;
  /** Registers child `id` of `parent` with the parent's group and tags (its hardware comes with its reports). */
  createChild(id: string, parent: DeviceRow): Promise<DeviceRow>;
  childCount(parentId: string): Promise<number>;
  setConnection(deviceId: string, state: ConnectionState): Promise<void>;
  /** A gateway's connection is its children's: they go offline with it. */
  setChildrenConnection(parentId: string, state: ConnectionState): Promise<void>;
  /** Records the hardware a child reports (what enrolment records for a device). */
  setHardware(deviceId: string, hardware: Record<string, unknown>): Promise<void>;
  touch(deviceId: string): Promise<void>;
  storeReported(deviceId: string, reported: Record<string, unknown>): Promise<void>;
  reported(deviceId: string): Promise<Record<string, unknown> | null>;
  installed(deviceId: string): Promise<InstalledModel[]>;
}

/** How stale `lastSeenAt` may be: messages within this long of the last recorded one do not write it. */
export const TOUCH_RESOLUTION_MS = 5_000;

export function createDeviceRegistry(options: { database: Database; now: () => number }): DeviceRegistry {
  const { db, tables } = options.database;
  const { devices } = tables;
  const { now } = options;
  // Every ingested message asks whether its device exists; a device is never deleted, so an id once found
  // stays known (also across replicas: one that enrolled elsewhere is a miss that reads the table).
  const known = new Set<string>();
  // A device's group and tags never change after enrolment (no route or store updates them).
  const memberships = new Map<string, DeviceMembership>();
  // lastSeenAt is kept to TOUCH_RESOLUTION_MS: one device's burst of messages costs one write, not one each.
  const touched = new Map<string, number>();
  const revokedIds = new Set<string>();
  const { database } = options;
  const byId = () =>
    prepareOnce<DeviceRow[]>(database, 'devices.byId', (db, t) =>
      db
        .select()
        .from(t.devices)
        .where(eq(t.devices.id, sql.placeholder('id')))
        .limit(1),
    );
  const find = async (deviceId: string) => {
    const row = (await byId().execute({ id: deviceId }))[0];
    if (row !== undefined) known.add(deviceId);
    return row;
  };
  const get = async (deviceId: string) => {
    const row = await find(deviceId);
    if (row === undefined)
      throw new ControlPlaneError('DEVICE_UNKNOWN', `no device ${deviceId}`, { details: { deviceId } });
    return row;
  };
  const reportedOf = () =>
    prepareOnce<Tables['deviceReported']['$inferSelect'][]>(database, 'devices.reported', (db, t) =>
      db
        .select()
        .from(t.deviceReported)
        .where(eq(t.deviceReported.deviceId, sql.placeholder('id')))
        .limit(1),
    );
  const reported = async (deviceId: string) => (await reportedOf().execute({ id: deviceId }))[0]?.reported ?? null;
  return {
    exists: async (deviceId) => known.has(deviceId) || (await find(deviceId)) !== undefined,
    get,
    async membership(deviceId) {
      let membership = memberships.get(deviceId);
      if (membership === undefined) {
        const { id, group, tags } = await get(deviceId);
        membership = Object.freeze({ id, group, tags: Object.freeze([...tags]) as string[] });
        memberships.set(deviceId, membership);
      }
      return membership;
    },
    list: () => db.select().from(devices).orderBy(devices.id),
    members: () => db.select().from(devices).where(isNull(devices.revokedAt)).orderBy(devices.id),
    async revoke(deviceId) {
      const row = await get(deviceId);
      if (row.revokedAt !== null) return [];
      const at = now();
      const revoked = await db
        .update(devices)
        .set({ revokedAt: at, passwordHash: hashSecret(newSecret()), connection: 'offline' })
        .where(and(isNull(devices.revokedAt), or(eq(devices.id, deviceId), eq(devices.parentId, deviceId))))
        .returning({ id: devices.id });
      const ids = revoked.map((r) => r.id).sort();
      for (const id of ids) revokedIds.add(id);
      return ids;
    },
    revokedHere: (deviceId) => revokedIds.has(deviceId),
    inGroup: (group) => db.select().from(devices).where(eq(devices.group, group)).orderBy(devices.id),
    async verifyPassword(deviceId, password) {
      const row = await find(deviceId);
      // Hashed whatever the row, so an unknown id and a child id take the same time as a wrong password.
      const matches = secretMatches(password, row?.passwordHash ?? null);
      return matches && row?.parentId === null && row.revokedAt === null;
    },
    async createChild(id, parent) {
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
        revokedAt: null,
      };
      await db.insert(devices).values(row);
      return row;
    },
    childCount: async (parentId) =>
      (await db.select({ n: count() }).from(devices).where(eq(devices.parentId, parentId)))[0]?.n ?? 0,
    async setConnection(deviceId, state) {
      const at = now();
      touched.set(deviceId, at);
      await db.update(devices).set({ connection: state, lastSeenAt: at }).where(eq(devices.id, deviceId));
    },
    async setChildrenConnection(parentId, state) {
      await db.update(devices).set({ connection: state }).where(eq(devices.parentId, parentId));
    },
    async setHardware(deviceId, hardware) {
      await db.update(devices).set({ hardware }).where(eq(devices.id, deviceId));
    },
    async touch(deviceId) {
      const at = now();
      const last = touched.get(deviceId);
      if (last !== undefined && at >= last && at - last < TOUCH_RESOLUTION_MS) return;
      touched.set(deviceId, at);
      await prepareOnce(database, 'devices.touch', (db, t) =>
        db
          .update(t.devices)
          .set({ lastSeenAt: sql.placeholder('at') as unknown as number })
          .where(eq(t.devices.id, sql.placeholder('id'))),
      ).execute({ at, id: deviceId });
    },
    async storeReported(deviceId, value) {
      await prepareOnce(database, 'devices.storeReported', (db, t) => {
        const reported = sql.placeholder('reported') as unknown as Record<string, unknown>;
        const updatedAt = sql.placeholder('updatedAt') as unknown as number;
        return db
          .insert(t.deviceReported)
          .values({ deviceId: sql.placeholder('id') as unknown as string, reported, updatedAt })
          .onConflictDoUpdate({ target: t.deviceReported.deviceId, set: { reported, updatedAt } });
      }).execute({ id: deviceId, reported: value, updatedAt: now() });
    },
    reported,
    async installed(deviceId) {
      const value = await reported(deviceId);
      const list = Array.isArray(value?.installed) ? (value.installed as InstalledModel[]) : [];
      return list.map((m) => ({ line: m.line, version: m.version }));
    },
  };
}
