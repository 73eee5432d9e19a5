/**
 * Persistence of federated jobs, round attempts, per-round client status and evaluation-set metadata
 * (db/fl-tables.ts). The coordinator writes through here on every transition, so GET /v1/fl/jobs/:id shows
 * the live state and a restarted control plane knows which jobs to resume.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { flEvalSets, flJobs, flRoundClients, flRounds } from '../db/schema.js';
import { ControlPlaneError } from '../errors.js';
import type { ClientStatus, JobState, RoundState } from './fl-state.js';

export type JobRow = typeof flJobs.$inferSelect;
export type RoundRow = typeof flRounds.$inferSelect;
export type RoundClientRow = typeof flRoundClients.$inferSelect;

export function createFlStore(options: { db: Db; now: () => number }) {
  const { db, now } = options;
  const store = {
    insertJob(row: typeof flJobs.$inferInsert) {
      db.insert(flJobs).values(row).run();
    },
    job(id: string): JobRow {
      const row = db.select().from(flJobs).where(eq(flJobs.id, id)).get();
      if (row === undefined)
        throw new ControlPlaneError('NOT_FOUND', `no federated job ${id}`, { details: { jobId: id } });
      return row;
    },
    jobs: () => db.select().from(flJobs).orderBy(desc(flJobs.createdAt)).all(),
    jobsIn: (state: JobState) => db.select().from(flJobs).where(eq(flJobs.state, state)).all(),
    updateJob(id: string, fields: Partial<typeof flJobs.$inferInsert>) {
      db.update(flJobs)
        .set({ ...fields, updatedAt: now() })
        .where(eq(flJobs.id, id))
        .run();
    },
    insertRound(row: typeof flRounds.$inferInsert, deviceIds: readonly string[]) {
      db.transaction((tx) => {
        tx.insert(flRounds).values(row).run();
        for (const deviceId of deviceIds) {
          tx.insert(flRoundClients).values({ roundId: row.id, deviceId, status: 'offered', updatedAt: now() }).run();
        }
      });
    },
    rounds: (jobId: string) =>
      db
        .select()
        .from(flRounds)
        .where(eq(flRounds.jobId, jobId))
        .orderBy(asc(flRounds.round), asc(flRounds.attempt))
        .all(),
    openRounds: (jobId: string) => store.rounds(jobId).filter((r) => r.state !== 'completed' && r.state !== 'failed'),
    updateRound(id: string, fields: { state?: RoundState } & Partial<typeof flRounds.$inferInsert>) {
      db.update(flRounds).set(fields).where(eq(flRounds.id, id)).run();
    },
    clients: (roundId: string) => db.select().from(flRoundClients).where(eq(flRoundClients.roundId, roundId)).all(),
    setClient(
      roundId: string,
      deviceId: string,
      fields: { status: ClientStatus; sampleCount?: number; detail?: string },
    ) {
      db.update(flRoundClients)
        .set({ ...fields, updatedAt: now() })
        .where(and(eq(flRoundClients.roundId, roundId), eq(flRoundClients.deviceId, deviceId)))
        .run();
    },
    insertEvalSet(row: typeof flEvalSets.$inferInsert) {
      db.insert(flEvalSets).values(row).onConflictDoNothing().run();
    },
    evalSet: (digest: string) => db.select().from(flEvalSets).where(eq(flEvalSets.digest, digest)).get(),
  };
  return store;
}

export type FlStore = ReturnType<typeof createFlStore>;
