/**
 * drizzle-kit configuration: generates the SQLite migrations from src/db/schema.ts into ./drizzle, which
 * are committed and applied at startup by the better-sqlite3 migrator (src/db/open-database.ts).
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './src/db/schema.ts',
  out: './drizzle',
});
