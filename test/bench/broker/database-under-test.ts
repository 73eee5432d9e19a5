/**
 * How a benchmark replica's database is opened — the pluggable part of the broker ingest benchmark. SQLite: every replica opens the same file in the
 * shared data directory (one writer at a time, which is what limits two replicas).
 */
import type { ControlPlaneOptions } from '@edgefleet/control-plane';
import { startPostgres } from '@edgefleet/test-kit';
import { rawInsert } from '../pg/raw-insert.js';

export interface DatabaseUnderTest {
  readonly name: string;
  /** Extra control-plane options for a replica whose data directory is `dataDir`. */
  replicaOptions(dataDir: string): Promise<Partial<ControlPlaneOptions>>;
  /** The database's own rate for as many telemetry rows (500-row inserts, one connection, no control plane). */
  rawRowsPerSec?(rows: number): Promise<number>;
  close(): Promise<void>;
}

export const sqliteFile: DatabaseUnderTest = {
  name: 'sqlite',
  replicaOptions: () => Promise.resolve({}),
  close: () => Promise.resolve(),
};

/**
 * PostgreSQL: one throw-away server for the run, one database per benchmark case — the replicas of a case
 * share its data directory, so they are handed the same database (and elect a scheduler leader through its
 * advisory lock, the control plane's default on PostgreSQL).
 */
export async function postgresServer(): Promise<DatabaseUnderTest> {
  const server = await startPostgres();
  const databases = new Map<string, string>();
  return {
    name: 'postgres',
    async replicaOptions(dataDir) {
      let url = databases.get(dataDir);
      if (url === undefined) {
        url = await server.createDatabase();
        databases.set(dataDir, url);
      }
      return { database: { kind: 'postgres', url } };
    },
    async rawRowsPerSec(rows) {
      const raw = await rawInsert(await server.createDatabase());
      try {
        return await raw.rate({ rows, rowsPerStatement: 500, connections: 1 });
      } finally {
        await raw.close();
      }
    },
    close: () => server.stop(),
  };
}
