/**
 * Opens the control plane's SQLite file and brings its schema up to date. WAL lets HTTP reads proceed while
 * ingest writes; foreign keys are off by default in SQLite and must be switched on per connection. The
 * committed drizzle-kit migrations are located relative to this module, so the package works from any cwd.
 */
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface OpenedDatabase {
  readonly db: Db;
  close(): void;
}

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

export function openDatabase(options: { file: string }): OpenedDatabase {
  const sqlite = new Database(options.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  const db = drizzle(sqlite, { schema });
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db, close: () => sqlite.close() };
}
