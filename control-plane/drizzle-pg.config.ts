/**
 * drizzle-kit configuration for the PostgreSQL dialect: generates the migrations from src/db/pg-schema.ts
 * into ./drizzle-pg, which are committed and applied at startup by src/db/pg-database.ts. `pnpm db:generate`
 * runs both this and drizzle.config.ts (SQLite), so the two dialects never fall out of step.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/pg-schema.ts',
  out: './drizzle-pg',
});
