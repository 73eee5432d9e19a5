/**
 * The append-only audit log (DESIGN.md §3): one row per mutating API call — who (token name, device id or
 * 'anonymous'), what action on which target, the HTTP status it ended with, and details. There is no
 * update or delete path in this module on purpose.
 */
import { desc } from 'drizzle-orm';
import type { Database } from '../db/database.js';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(options: { limit: number }): Promise<(AuditEntry & { id: number; ts: number })[]>;
}

export function createAuditLog(options: { database: Database; now: () => number }): AuditLog {
  const { db, tables } = options.database;
  const { auditLog } = tables;
  const { now } = options;
  return {
    async append(entry) {
      await db.insert(auditLog).values({ ts: now(), ...entry });
    },
    list({ limit }) {
      return db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit);
    },
  };
}
