/**
 * Persistence of rollouts (DESIGN.md §5: the orchestrator's state lives in the DB so a restart resumes it):
 * the rollout row (plan, state, current wave, outcome), one row per wave (mode, state, phase timestamps,
 * gate results) and one row per targeted device (wave, rank, status, when assigned, its champion). The
 * queries the orchestrator runs on every step are aggregate or index range reads (rollout_devices_wave_*)
 * so a step's cost does not grow with the events already processed.
 */
import { and, asc, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { Database, Tables } from '../db/database.js';
import { prepareOnce } from '../db/prepared.js';
import { ControlPlaneError } from '../errors.js';
import { countStatuses, type DeviceRolloutStatus, type StatusCounts } from './device-status.js';
import { isActive, isRolloutState, type RolloutState } from './rollout-state.js';

export type RolloutRow = Tables['rollouts']['$inferSelect'];
export type WaveRow = Tables['rolloutWaves']['$inferSelect'];
export type MemberRow = Tables['rolloutDevices']['$inferSelect'];
type RolloutInsert = Tables['rollouts']['$inferInsert'];
type WaveInsert = Tables['rolloutWaves']['$inferInsert'];

export function stateOf(row: RolloutRow): RolloutState {
  return isRolloutState(row.state) ? row.state : 'completed';
}

/** Rows per multi-row insert of members: under SQLite's 32 766 bound parameters at 9 columns a row. */
const MEMBER_CHUNK = 1_000;

export function createRolloutStore(options: { database: Database; now: () => number }) {
  const { database, now } = options;
  const { db } = database;
  const { rolloutDevices, rollouts, rolloutWaves } = database.tables;
  // Rollouts created in the same millisecond list newest first by insertion order: SQLite's rowid; PostgreSQL
  // has no insertion order to read, so there such ties fall back to the id.
  const insertionOrder = database.dialect === 'sqlite' ? sql`rowid` : rollouts.id;
  const store = {
    async insert(row: RolloutInsert, waves: WaveInsert[], members: MemberRow[]) {
      await database.transaction(async (tx) => {
        await tx.insert(rollouts).values(row);
        if (waves.length > 0) await tx.insert(rolloutWaves).values(waves);
        for (let i = 0; i < members.length; i += MEMBER_CHUNK)
          await tx.insert(rolloutDevices).values(members.slice(i, i + MEMBER_CHUNK));
      });
    },
    find: async (id: string): Promise<RolloutRow | undefined> =>
      (await db.select().from(rollouts).where(eq(rollouts.id, id)).limit(1))[0],
    async get(id: string): Promise<RolloutRow> {
      const row = await store.find(id);
      if (row === undefined)
        throw new ControlPlaneError('NOT_FOUND', `no rollout ${id}`, { details: { rolloutId: id } });
      return row;
    },
    all: (): Promise<RolloutRow[]> =>
      db.select().from(rollouts).orderBy(desc(rollouts.createdAt), desc(insertionOrder)),
    active: async () => (await store.all()).filter((r) => isActive(stateOf(r))),
    /** The newest rollout's creation time; 0 with none. */
    async latestCreatedAt(): Promise<number> {
      const [row] = await db
        .select({ at: sql<number | null>`max(${rollouts.createdAt})`.mapWith(Number) })
        .from(rollouts);
      return row?.at ?? 0;
    },
    async update(id: string, fields: Partial<RolloutInsert>) {
      await db
        .update(rollouts)
        .set({ ...fields, updatedAt: now() })
        .where(eq(rollouts.id, id));
    },
    /**
     * Compare-and-set of the rollout state: applies `fields` only while the stored state is still `from`.
     * False when another writer (a second replica during a leader change) moved the rollout first.
     */
    async transition(id: string, from: string, fields: Partial<RolloutInsert>): Promise<boolean> {
      const moved = await db
        .update(rollouts)
        .set({ ...fields, updatedAt: now() })
        .where(and(eq(rollouts.id, id), eq(rollouts.state, from)))
        .returning({ id: rollouts.id });
      return moved.length === 1;
    },
    waves: (id: string): Promise<WaveRow[]> =>
      db.select().from(rolloutWaves).where(eq(rolloutWaves.rolloutId, id)).orderBy(asc(rolloutWaves.index)),
    async wave(id: string, index: number): Promise<WaveRow> {
      const [row] = await db
        .select()
        .from(rolloutWaves)
        .where(and(eq(rolloutWaves.rolloutId, id), eq(rolloutWaves.index, index)))
        .limit(1);
      if (row === undefined) throw new ControlPlaneError('INTERNAL', `rollout ${id} has no wave ${index}`);
      return row;
    },
    async updateWave(id: string, index: number, fields: Partial<WaveInsert>) {
      await db
        .update(rolloutWaves)
        .set(fields)
        .where(and(eq(rolloutWaves.rolloutId, id), eq(rolloutWaves.index, index)));
    },
    members: (id: string): Promise<MemberRow[]> =>
      db.select().from(rolloutDevices).where(eq(rolloutDevices.rolloutId, id)).orderBy(rolloutDevices.deviceId),
    waveMembers: (id: string, wave: number): Promise<MemberRow[]> =>
      db
        .select()
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.wave, wave))),
    /** Takes the devices out of every active rollout (revoked devices); how many rollouts lost a member. */
    async removeFromActive(deviceIds: readonly string[]): Promise<number> {
      const active = (await store.active()).map((r) => r.id);
      if (active.length === 0 || deviceIds.length === 0) return 0;
      const removed = await db
        .delete(rolloutDevices)
        .where(and(inArray(rolloutDevices.deviceId, [...deviceIds]), inArray(rolloutDevices.rolloutId, active)))
        .returning({ rolloutId: rolloutDevices.rolloutId });
      return new Set(removed.map((r) => r.rolloutId)).size;
    },
    member: async (id: string, deviceId: string): Promise<MemberRow | undefined> =>
      (
        await db
          .select()
          .from(rolloutDevices)
          .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.deviceId, deviceId)))
          .limit(1)
      )[0],
    /**
     * The device's memberships with their rollouts (index rollout_devices_device). Prepared: read on every
     * report and install event of every device.
     */
    membershipsOf: (deviceId: string) =>
      prepareOnce<{ m: MemberRow; r: RolloutRow }[]>(database, 'rollouts.membershipsOf', (db, t) =>
        db
          .select({ m: t.rolloutDevices, r: t.rollouts })
          .from(t.rolloutDevices)
          .innerJoin(t.rollouts, eq(t.rolloutDevices.rolloutId, t.rollouts.id))
          .where(eq(t.rolloutDevices.deviceId, sql.placeholder('deviceId'))),
      ).execute({ deviceId }),
    async addMember(values: MemberRow) {
      await db.insert(rolloutDevices).values(values).onConflictDoNothing();
    },
    /** A member's install status as its device reports it (prepared: one per install event and report). */
    async setMemberStatus(id: string, deviceId: string, status: DeviceRolloutStatus, error: string | null) {
      await prepareOnce(database, 'rollouts.setMemberStatus', (db, t) =>
        db
          .update(t.rolloutDevices)
          .set({
            status: sql.placeholder('status') as unknown as DeviceRolloutStatus,
            error: sql.placeholder('error') as unknown as string,
            updatedAt: sql.placeholder('at') as unknown as number,
          })
          .where(
            and(
              eq(t.rolloutDevices.rolloutId, sql.placeholder('id')),
              eq(t.rolloutDevices.deviceId, sql.placeholder('deviceId')),
            ),
          ),
      ).execute({ id, deviceId, status, error, at: now() });
    },
    async updateMember(id: string, deviceId: string, fields: Partial<MemberRow>) {
      await db
        .update(rolloutDevices)
        .set({ ...fields, updatedAt: now() })
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.deviceId, deviceId)));
    },
    /**
     * Claims an unassigned member for assignment (compare-and-set on `assignedAt IS NULL`): true for exactly
     * one caller, so two schedulers can never both assign the same device of a wave.
     */
    async claimAssignment(id: string, deviceId: string, at: number): Promise<boolean> {
      const claimed = await db
        .update(rolloutDevices)
        .set({ assignedAt: at, updatedAt: now() })
        .where(
          and(
            eq(rolloutDevices.rolloutId, id),
            eq(rolloutDevices.deviceId, deviceId),
            isNull(rolloutDevices.assignedAt),
          ),
        )
        .returning({ deviceId: rolloutDevices.deviceId });
      return claimed.length === 1;
    },
    /** Undoes a claim whose assignment could not be published, so the next tick tries again. */
    async releaseAssignment(id: string, deviceId: string, at: number) {
      await db
        .update(rolloutDevices)
        .set({ assignedAt: null, updatedAt: now() })
        .where(
          and(
            eq(rolloutDevices.rolloutId, id),
            eq(rolloutDevices.deviceId, deviceId),
            eq(rolloutDevices.assignedAt, at),
          ),
        );
    },
    /** Status counts of one wave, plus how many of its devices were assigned and are not settled yet. */
    async waveCounts(id: string, wave: number): Promise<{ counts: StatusCounts; unassigned: number; busy: number }> {
      // PostgreSQL returns count(*) as a bigint string and `is not null` as a boolean; SQLite 0/1 integers.
      const rows = await db
        .select({
          status: rolloutDevices.status,
          assigned: sql<boolean | number>`${rolloutDevices.assignedAt} is not null`,
          n: sql<number>`count(*)`.mapWith(Number),
        })
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.wave, wave)))
        .groupBy(rolloutDevices.status, sql`${rolloutDevices.assignedAt} is not null`);
      const counts = countStatuses([]);
      let unassigned = 0;
      let busy = 0;
      for (const r of rows) {
        counts[r.status] += r.n;
        if (!r.assigned) unassigned += r.n;
        else if (r.status === 'pending' || r.status === 'installing') busy += r.n;
      }
      return { counts, unassigned, busy };
    },
    /** The next `limit` unassigned devices of a wave in rank order (index rollout_devices_wave_queue). */
    nextUnassigned: (id: string, wave: number, limit: number): Promise<MemberRow[]> =>
      db
        .select()
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.wave, wave), isNull(rolloutDevices.assignedAt)))
        .orderBy(asc(rolloutDevices.rank))
        .limit(limit),
    /**
     * Devices of a wave still pending or installing that were assigned at or before `assignedBy` (the install
     * deadline): filtered in SQL, so a step of a 5,000-device wave does not read every busy member.
     */
    unsettled: (id: string, wave: number, assignedBy: number): Promise<MemberRow[]> =>
      db
        .select()
        .from(rolloutDevices)
        .where(
          and(
            eq(rolloutDevices.rolloutId, id),
            eq(rolloutDevices.wave, wave),
            inArray(rolloutDevices.status, ['pending', 'installing'] satisfies DeviceRolloutStatus[]),
            lte(rolloutDevices.assignedAt, assignedBy),
          ),
        ),
    async maxRank(id: string): Promise<number> {
      const [row] = await db
        .select({ r: sql<number | null>`max(${rolloutDevices.rank})`.mapWith(Number) })
        .from(rolloutDevices)
        .where(eq(rolloutDevices.rolloutId, id));
      return row?.r ?? -1;
    },
  };
  return store;
}

export type RolloutStore = ReturnType<typeof createRolloutStore>;
