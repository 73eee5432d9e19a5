/**
 * Persistence of federated jobs, round attempts, per-round client status and evaluation-set metadata
 * (db/fl-tables.ts). The coordinator writes through here on every transition, so GET /v1/fl/jobs/:id shows
 * the live state and a restarted control plane knows which jobs to resume.
 */
import { and, asc, desc, eq } from 'drizzle-orm';
import type { Database, Tables } from '../db/database.js';
import { ControlPlaneError } from '../errors.js';
import type { ClientStatus, JobState, RoundState } from './fl-state.js';

export type JobRow = Tables['flJobs']['$inferSelect'];
export type RoundRow = Tables['flRounds']['$inferSelect'];
export type RoundClientRow = Tables['flRoundClients']['$inferSelect'];
type Insert<T extends keyof Tables> = Tables[T]['$inferInsert'];

export function createFlStore(options: { database: Database; now: () => number }) {
  const { database, now } = options;
  const { db } = database;
  const { flEvalSets, flJobs, flRoundClients, flRounds } = database.tables;
  const store = {
    async insertJob(row: Insert<'flJobs'>) {
      await db.insert(flJobs).values(row);
    },
    async job(id: string): Promise<JobRow> {
      const [row] = await db.select().from(flJobs).where(eq(flJobs.id, id)).limit(1);
      if (row === undefined)
        throw new ControlPlaneError('NOT_FOUND', `no federated job ${id}`, { details: { jobId: id } });
      return row;
    },
    jobs: (): Promise<JobRow[]> => db.select().from(flJobs).orderBy(desc(flJobs.createdAt)),
    jobsIn: (state: JobState): Promise<JobRow[]> => db.select().from(flJobs).where(eq(flJobs.state, state)),
    async updateJob(id: string, fields: Partial<Insert<'flJobs'>>) {
      await db
        .update(flJobs)
        .set({ ...fields, updatedAt: now() })
        .where(eq(flJobs.id, id));
    },
    async insertRound(row: Insert<'flRounds'>, deviceIds: readonly string[]) {
      await database.transaction(async (tx) => {
        await tx.insert(flRounds).values(row);
        if (deviceIds.length === 0) return;
        await tx
          .insert(flRoundClients)
          .values(deviceIds.map((deviceId) => ({ roundId: row.id, deviceId, status: 'offered', updatedAt: now() })));
      });
    },
    rounds: (jobId: string): Promise<RoundRow[]> =>
      db.select().from(flRounds).where(eq(flRounds.jobId, jobId)).orderBy(asc(flRounds.round), asc(flRounds.attempt)),
    openRounds: async (jobId: string) =>
      (await store.rounds(jobId)).filter((r) => r.state !== 'completed' && r.state !== 'failed'),
    async updateRound(id: string, fields: { state?: RoundState } & Partial<Insert<'flRounds'>>) {
      await db.update(flRounds).set(fields).where(eq(flRounds.id, id));
    },
    clients: (roundId: string): Promise<RoundClientRow[]> =>
      db.select().from(flRoundClients).where(eq(flRoundClients.roundId, roundId)),
    async setClient(
      roundId: string,
      deviceId: string,
      fields: {
        status: ClientStatus;
        sampleCount?: number;
        detail?: string;
        publicKey?: Uint8Array;
        updateBytes?: Uint8Array;
      },
    ) {
      await db
        .update(flRoundClients)
        .set({
          status: fields.status,
          ...(fields.sampleCount === undefined ? {} : { sampleCount: fields.sampleCount }),
          ...(fields.detail === undefined ? {} : { detail: fields.detail }),
          ...(fields.publicKey === undefined ? {} : { publicKey: Buffer.from(fields.publicKey) }),
          ...(fields.updateBytes === undefined ? {} : { updateBytes: Buffer.from(fields.updateBytes) }),
          updatedAt: now(),
        })
        .where(and(eq(flRoundClients.roundId, roundId), eq(flRoundClients.deviceId, deviceId)));
    },
    /** Drops a round's stored updates once it has ended (they can be large: one model delta per client). */
    async clearUpdates(roundId: string) {
      await db.update(flRoundClients).set({ updateBytes: null }).where(eq(flRoundClients.roundId, roundId));
    },
    async insertEvalSet(row: Insert<'flEvalSets'>) {
      await db.insert(flEvalSets).values(row).onConflictDoNothing();
    },
    evalSet: async (digest: string) =>
      (await db.select().from(flEvalSets).where(eq(flEvalSets.digest, digest)).limit(1))[0],
  };
  return store;
}

export type FlStore = ReturnType<typeof createFlStore>;
