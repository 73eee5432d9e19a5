/**
 * The one database handle every store takes, whichever dialect is configured: `db` (drizzle query builders,
 * awaited), `tables` (the dialect's table objects, which the query builders need to render SQL and map
 * rows), `transaction(fn)` and `close()`. SQLite (sqlite-database.ts) is the default; PostgreSQL
 * (pg-database.ts) is selected by configuration. Stores are written once, typed against the SQLite schema.
 */
import type { SqliteRemoteDatabase } from 'drizzle-orm/sqlite-proxy';
import type { OpenedPgDatabase } from './pg-database.js';
import * as pgSchema from './pg-schema.js';
import type * as schema from './schema.js';

export type Tables = typeof schema;
/** The async SQLite drizzle type the stores are written against; PostgreSQL's handle is cast to it below. */
export type Db = SqliteRemoteDatabase<Tables>;
export type Dialect = 'sqlite' | 'postgres';

export interface Database {
  readonly dialect: Dialect;
  readonly db: Db;
  readonly tables: Tables;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Wraps an opened PostgreSQL database as a `Database`. This is the one place the dialects meet: the stores'
 * queries are typed against the SQLite schema, and pg-schema.ts is its column-for-column twin (same table
 * and column names, same TypeScript row types — test/db/schema-parity.test.ts fails otherwise), so the pg
 * tables and the node-postgres drizzle handle are used through the SQLite types. Every query builder the
 * stores use (select/insert/update/delete, onConflictDoNothing, returning, limit) exists in both dialects
 * and is awaited; the SQLite-only `.get()/.all()/.run()` are not used anywhere.
 */
export function pgDatabase(opened: OpenedPgDatabase): Database {
  const db = opened.db as unknown as Db;
  return {
    dialect: 'postgres',
    db,
    tables: pgSchema as unknown as Tables,
    transaction: (fn) => opened.db.transaction((tx) => fn(tx as unknown as Db)),
    close: () => opened.close(),
  };
}
