/**
 * Prepared queries: a hot statement's SQL built once per database instead of on every call. Building a
 * query with drizzle (walking its chunks, `is()` checks, column mapping) cost more than executing it on
 * SQLite — 17 % of a 3,000-device simulator run went to query building. A prepared query takes its values
 * as `sql.placeholder(name)`s and runs with `.execute(values)`, the one method both dialects' prepared
 * queries have (on PostgreSQL an unnamed statement, planned per call as before).
 *
 * Prepared queries run on the database handle, never inside `Database.transaction`: only statements that
 * the stores already issue outside a transaction are prepared.
 */
import { sql } from 'drizzle-orm';
import type { Database, Db, Tables } from './database.js';

/** What every prepared query offers in both dialects. */
export interface Prepared<R> {
  execute(values: Record<string, unknown>): Promise<R>;
}

const cache = new WeakMap<Database, Map<string, unknown>>();

/** The query `key` prepared on `database` (built by `build` the first time). */
export function prepareOnce<R>(
  database: Database,
  key: string,
  build: (db: Db, tables: Tables) => { prepare(): unknown },
): Prepared<R> {
  let queries = cache.get(database);
  if (queries === undefined) {
    queries = new Map();
    cache.set(database, queries);
  }
  let query = queries.get(key) as Prepared<R> | undefined;
  if (query === undefined) {
    query = build(database.db, database.tables).prepare() as Prepared<R>;
    queries.set(key, query);
  }
  return query;
}

/**
 * Insert values for a prepared insert: a placeholder named after each listed column (the values' types are
 * checked where the caller builds the object it passes to `execute`).
 */
export function placeholders<K extends string>(columns: readonly K[]): Record<K, never> {
  return Object.fromEntries(columns.map((c) => [c, sql.placeholder(c)])) as Record<K, never>;
}
