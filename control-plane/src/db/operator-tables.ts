/**
 * The operator tables (drizzle, part of schema.ts): API tokens (hashes only) with their roles, and the
 * append-only audit log of what operators and the orchestrator did.
 */
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const apiTokens = sqliteTable('api_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  name: text('name').notNull().unique(),
  role: text('role', { enum: ['admin', 'operator', 'viewer'] }).notNull(),
  createdAt: integer('created_at').notNull(),
});

export const auditLog = sqliteTable('audit_log', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  ts: integer('ts').notNull(),
  actor: text('actor').notNull(),
  action: text('action').notNull(),
  target: text('target').notNull(),
  status: integer('status').notNull(),
  details: text('details', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});
