/**
 * The append-only audit log (DESIGN.md §3): one row per mutating API call — who (token name, device id or
 * 'anonymous'), what action on which target, the HTTP status it ended with, and details. There is no
 * update or delete path in this module on purpose.
 */
import { desc } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { auditLog } from '../db/schema.js';

export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
}

export interface AuditLog {
  append(entry: AuditEntry): void;
  /** Newest first. */
  list(options: { limit: number }): (AuditEntry & { id: number; ts: number })[];
}

export function createAuditLog(options: { db: Db; now: () => number }): AuditLog {
  const { db, now } = options;
  return {
    append(entry) {
      db.insert(auditLog)
        .values({ ts: now(), ...entry })
        .run();
    },
    list({ limit }) {
      return db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all();
    },
  };
}
