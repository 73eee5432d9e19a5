/**
 * Opens the configured database as a `Database` (database.ts) with its schema brought up to date: the SQLite
 * file (default; WAL so HTTP reads proceed while ingest writes, foreign keys switched on per connection) or
 * a PostgreSQL server by URL. Each dialect's committed drizzle-kit migrations are located relative to its
 * module, so the package works from any cwd.
 */
import { type Database, pgDatabase } from './database.js';
import { openPgDatabase } from './pg-database.js';
import { openSqliteDatabase } from './sqlite-database.js';

export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | { kind: 'postgres'; url: string; maxConnections?: number };

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.kind === 'sqlite') return openSqliteDatabase({ file: config.file });
  const { kind: _kind, ...pg } = config;
  return pgDatabase(await openPgDatabase(pg));
}
