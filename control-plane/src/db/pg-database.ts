/**
 * Opens the control plane's PostgreSQL database (node-postgres pool + drizzle) and brings its schema up to
 * date with the committed migrations in ../../drizzle-pg, located relative to this module. drizzle's migrator
 * takes no lock of its own, so replicas starting at once serialize on a session advisory lock held here
 * around the migration: the second finds the journal up to date instead of racing to create the tables.
 */
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './pg-schema.js';

export type PgDb = NodePgDatabase<typeof schema>;

export interface OpenedPgDatabase {
  readonly db: PgDb;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle-pg', import.meta.url));
/** 'efMG' — held while one replica migrates. */
const MIGRATION_LOCK_KEY = 0x65664d47;

export async function openPgDatabase(options: { url: string; maxConnections?: number }): Promise<OpenedPgDatabase> {
  const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 10 });
  // An idle client's error (server restart, terminated backend) must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema });
  const lock = await pool.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    lock.release();
  }
  return { db, pool, close: () => pool.end() };
}
