/**
 * The device tables (drizzle, part of schema.ts): enrolled devices with their credential hashes, one-time
 * enrolment tokens (hashes only), the signed desired document last published to each device and the
 * latest state each device reported. A child device behind a gateway (DESIGN.md §6, id `{gateway}--{child}`)
 * is a row like any other, with `parentId` naming its gateway; it has no usable broker credentials.
 */
import type { OutputComparison } from '@edgefleet/protocol';
import { blob, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const devices = sqliteTable(
  'devices',
  {
    id: text('id').primaryKey(),
    group: text('group').notNull(),
    tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
    passwordHash: text('password_hash').notNull(),
    hardware: text('hardware', { mode: 'json' }).$type<Record<string, unknown> | null>(),
    connection: text('connection', { enum: ['online', 'offline'] })
      .notNull()
      .default('offline'),
    enrolledAt: integer('enrolled_at').notNull(),
    lastSeenAt: integer('last_seen_at'),
    /** The gateway that carries this child device; null for an enrolled device. */
    parentId: text('parent_id'),
    /** When the device's credentials were revoked (it is decommissioned); null while it is a fleet member. */
    revokedAt: integer('revoked_at'),
  },
  // A gateway going offline takes its children with it (an update by parent on every disconnect), and the
  // child cap counts by parent: without the index both scanned the whole fleet (quadratic in a 10k rehearsal).
  (t) => [index('devices_parent').on(t.parentId)],
);

export const enrolmentTokens = sqliteTable('enrolment_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  group: text('group').notNull(),
  tags: text('tags', { mode: 'json' }).$type<string[]>().notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  usedBy: text('used_by'),
  /** When an operator revoked the token before it was used. */
  revokedAt: integer('revoked_at'),
});

export const deviceDesired = sqliteTable('device_desired', {
  deviceId: text('device_id')
    .primaryKey()
    .references(() => devices.id),
  seq: integer('seq').notNull(),
  rolloutId: text('rollout_id'),
  assignments: text('assignments', { mode: 'json' })
    .$type<{ line: string; version: number; shadow?: number; compare?: OutputComparison }[]>()
    .notNull(),
  /** encodeCbor(SignedDocument) of the desired body, exactly as published. */
  signedDoc: blob('signed_doc', { mode: 'buffer' }).notNull(),
  issuedAt: integer('issued_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
});

export const deviceReported = sqliteTable('device_reported', {
  deviceId: text('device_id')
    .primaryKey()
    .references(() => devices.id),
  reported: text('reported', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  updatedAt: integer('updated_at').notNull(),
});
