/**
 * Persistence of rollouts (DESIGN.md §5: the orchestrator's state lives in the DB so a restart resumes it):
 * the rollout row (plan, state, current wave, outcome), one row per wave (mode, state, phase timestamps,
 * gate results) and one row per targeted device (wave, rank, status, when assigned, its champion). The
 * queries the orchestrator runs on every step are aggregate or index range reads (rollout_devices_wave_*)
 * so a step's cost does not grow with the events already processed.
 */
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { rolloutDevices, rollouts, rolloutWaves } from '../db/schema.js';
import { ControlPlaneError } from '../errors.js';
import { countStatuses, type DeviceRolloutStatus, type StatusCounts } from './device-status.js';
import { isActive, isRolloutState, type RolloutState } from './rollout-state.js';

export type RolloutRow = typeof rollouts.$inferSelect;
export type WaveRow = typeof rolloutWaves.$inferSelect;
export type MemberRow = typeof rolloutDevices.$inferSelect;

export function stateOf(row: RolloutRow): RolloutState {
  return isRolloutState(row.state) ? row.state : 'completed';
}

export function createRolloutStore(options: { db: Db; now: () => number }) {
  const { db, now } = options;
  const store = {
    insert(row: typeof rollouts.$inferInsert, waves: (typeof rolloutWaves.$inferInsert)[], members: MemberRow[]) {
      db.transaction((tx) => {
        tx.insert(rollouts).values(row).run();
        for (const w of waves) tx.insert(rolloutWaves).values(w).run();
        for (const m of members) tx.insert(rolloutDevices).values(m).run();
      });
    },
    find: (id: string) => db.select().from(rollouts).where(eq(rollouts.id, id)).get(),
    get(id: string): RolloutRow {
      const row = store.find(id);
      if (row === undefined)
        throw new ControlPlaneError('NOT_FOUND', `no rollout ${id}`, { details: { rolloutId: id } });
      return row;
    },
    all: () => db.select().from(rollouts).orderBy(desc(rollouts.createdAt), desc(sql`rowid`)).all(),
    active: () => store.all().filter((r) => isActive(stateOf(r))),
    update(id: string, fields: Partial<typeof rollouts.$inferInsert>) {
      db.update(rollouts)
        .set({ ...fields, updatedAt: now() })
        .where(eq(rollouts.id, id))
        .run();
    },
    /**
     * Compare-and-set of the rollout state: applies `fields` only while the stored state is still `from`.
     * False when another writer (a second replica during a leader change) moved the rollout first.
     */
    transition(id: string, from: string, fields: Partial<typeof rollouts.$inferInsert>): boolean {
      const result = db
        .update(rollouts)
        .set({ ...fields, updatedAt: now() })
        .where(and(eq(rollouts.id, id), eq(rollouts.state, from)))
        .run();
      return result.changes === 1;
    },
    waves: (id: string) =>
      db.select().from(rolloutWaves).where(eq(rolloutWaves.rolloutId, id)).orderBy(asc(rolloutWaves.index)).all(),
    wave(id: string, index: number): WaveRow {
      const row = db
        .select()
        .from(rolloutWaves)
        .where(and(eq(rolloutWaves.rolloutId, id), eq(rolloutWaves.index, index)))
        .get();
      if (row === undefined) throw new ControlPlaneError('INTERNAL', `rollout ${id} has no wave ${index}`);
      return row;
    },
    updateWave(id: string, index: number, fields: Partial<typeof rolloutWaves.$inferInsert>) {
      db.update(rolloutWaves)
        .set(fields)
        .where(and(eq(rolloutWaves.rolloutId, id), eq(rolloutWaves.index, index)))
        .run();
    },
    members: (id: string) =>
      db.select().from(rolloutDevices).where(eq(rolloutDevices.rolloutId, id)).orderBy(rolloutDevices.deviceId).all(),
    waveMembers: (id: string, wave: number) =>
      db
        .select()
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.wave, wave)))
        .all(),
    member: (id: string, deviceId: string) =>
      db
        .select()
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.deviceId, deviceId)))
        .get(),
    /** The device's memberships with their rollouts (index rollout_devices_device). */
    membershipsOf: (deviceId: string) =>
      db
        .select({ m: rolloutDevices, r: rollouts })
        .from(rolloutDevices)
        .innerJoin(rollouts, eq(rolloutDevices.rolloutId, rollouts.id))
        .where(eq(rolloutDevices.deviceId, deviceId))
        .all(),
    addMember(values: MemberRow) {
      db.insert(rolloutDevices).values(values).onConflictDoNothing().run();
    },
    updateMember(id: string, deviceId: string, fields: Partial<MemberRow>) {
      db.update(rolloutDevices)
        .set({ ...fields, updatedAt: now() })
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.deviceId, deviceId)))
        .run();
    },
    /**
     * Claims an unassigned member for assignment (compare-and-set on `assignedAt IS NULL`): true for exactly
     * one caller, so two schedulers can never both assign the same device of a wave.
     */
    claimAssignment(id: string, deviceId: string, at: number): boolean {
      const result = db
        .update(rolloutDevices)
        .set({ assignedAt: at, updatedAt: now() })
        .where(
          and(
            eq(rolloutDevices.rolloutId, id),
            eq(rolloutDevices.deviceId, deviceId),
            isNull(rolloutDevices.assignedAt),
          ),
        )
        .run();
      return result.changes === 1;
    },
    /** Undoes a claim whose assignment could not be published, so the next tick tries again. */
    releaseAssignment(id: string, deviceId: string, at: number) {
      db.update(rolloutDevices)
        .set({ assignedAt: null, updatedAt: now() })
        .where(
          and(
            eq(rolloutDevices.rolloutId, id),
            eq(rolloutDevices.deviceId, deviceId),
            eq(rolloutDevices.assignedAt, at),
          ),
        )
        .run();
    },
    /** Status counts of one wave, plus how many of its devices were assigned and are not settled yet. */
    waveCounts(id: string, wave: number): { counts: StatusCounts; unassigned: number; busy: number } {
      const rows = db
        .select({
          status: rolloutDevices.status,
          assigned: sql<number>`${rolloutDevices.assignedAt} is not null`,
          n: sql<number>`count(*)`,
        })
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.wave, wave)))
        .groupBy(rolloutDevices.status, sql`${rolloutDevices.assignedAt} is not null`)
        .all();
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
    nextUnassigned: (id: string, wave: number, limit: number) =>
      db
        .select()
        .from(rolloutDevices)
        .where(and(eq(rolloutDevices.rolloutId, id), eq(rolloutDevices.wave, wave), isNull(rolloutDevices.assignedAt)))
        .orderBy(asc(rolloutDevices.rank))
        .limit(limit)
        .all(),
    /** Assigned devices of a wave still pending or installing. */
    unsettled: (id: string, wave: number) =>
      db
        .select()
        .from(rolloutDevices)
        .where(
          and(
            eq(rolloutDevices.rolloutId, id),
            eq(rolloutDevices.wave, wave),
            inArray(rolloutDevices.status, ['pending', 'installing'] satisfies DeviceRolloutStatus[]),
          ),
        )
        .all()
        .filter((m) => m.assignedAt !== null),
    maxRank(id: string): number {
      return (
        db
          .select({ r: sql<number | null>`max(${rolloutDevices.rank})` })
          .from(rolloutDevices)
          .where(eq(rolloutDevices.rolloutId, id))
          .get()?.r ?? -1
      );
    },
  };
  return store;
}

export type RolloutStore = ReturnType<typeof createRolloutStore>;
