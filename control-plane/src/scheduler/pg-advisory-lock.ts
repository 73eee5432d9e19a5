/**
 * The scheduler leader lock on PostgreSQL: `pg_try_advisory_lock(key)` on a dedicated connection. A session
 * advisory lock lives exactly as long as its connection, so a crashed or partitioned leader loses it when
 * PostgreSQL drops the session — there is no lease to expire and no clock to trust. A dropped connection
 * (error or end event, or a failed `check()`) is reported as a lost lock; the next try opens a new one.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import type { LeaderLock } from './leader-lock.js';

/** 'efSC' — one fixed key shared by every replica of one database. */
export const SCHEDULER_LOCK_KEY = 0x65665343;

export function createPgAdvisoryLock(options: { url: string; logger: Logger; key?: number }): LeaderLock {
  const key = options.key ?? SCHEDULER_LOCK_KEY;
  const listeners: (() => void)[] = [];
  let client: pg.Client | null = null;
  let held = false;

  function drop(reason: string, error?: unknown) {
    const old = client;
    client = null;
    old?.removeAllListeners();
    old?.on('error', () => {});
    void old?.end().catch(() => {});
    if (!held) return;
    held = false;
    options.logger.warn({ err: error, reason }, 'scheduler lock connection lost');
    for (const listener of listeners) listener();
  }

  async function connection(): Promise<pg.Client> {
    if (client !== null) return client;
    const next = new pg.Client({ connectionString: options.url, application_name: 'edgefleet-scheduler' });
    next.on('error', (error) => {
      if (client === next) drop('connection error', error);
    });
    next.on('end', () => {
      if (client === next) drop('connection ended');
    });
    client = next;
    try {
      await next.connect();
    } catch (error) {
      if (client === next) client = null;
      throw error;
    }
    return next;
  }

  return {
    async tryAcquire() {
      if (held) return true;
      const c = await connection();
      try {
        const { rows } = await c.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [key]);
        held = rows[0]?.locked === true;
      } catch (error) {
        drop('lock query failed', error);
        throw error;
      }
      return held;
    },
    async check() {
      if (!held || client === null) return false;
      try {
        await client.query('select 1');
        return held;
      } catch (error) {
        drop('lock check failed', error);
        return false;
      }
    },
    onLost(listener) {
      listeners.push(listener);
    },
    async release() {
      const c = client;
      const wasHeld = held;
      held = false;
      client = null;
      if (c === null) return;
      c.removeAllListeners();
      c.on('error', () => {});
      try {
        if (wasHeld) await c.query('select pg_advisory_unlock($1)', [key]);
      } catch {
        // The connection is going away; closing it releases the session lock anyway.
      }
      await c.end().catch(() => {});
    },
  };
}
