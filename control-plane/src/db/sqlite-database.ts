/**
 * Opens the control plane's SQLite file as a `Database` (database.ts): one better-sqlite3 connection driven
 * through drizzle's async (proxy) dialect, so the stores' awaited queries are the same for SQLite and
 * PostgreSQL. better-sqlite3 runs each statement synchronously, so a statement costs what it did before plus
 * one promise. Transactions are the one hazard of awaiting on a single connection: while one awaits between
 * its statements, any other statement would run inside it (and be rolled back with it). A transaction gate
 * prevents that: transactions queue on a promise-chain mutex around BEGIN IMMEDIATE … COMMIT/ROLLBACK, the
 * statements of the transaction holding it — issued on its own handle, the `tx` passed to `fn` — pass, and
 * every statement on the database handle waits until the gate is free. So transactions do not nest: a
 * `transaction` called inside another waits for it forever (none does; PostgreSQL would open a second,
 * independent transaction there). The gate once recognised the holder's statements by AsyncLocalStorage,
 * which turns on promise hooks for the whole process: every promise of every virtual device paid for it.
 *
 * Group commit: a write outside a transaction is queued, and the queue runs once the current event-loop turn
 * is over (setImmediate) as one BEGIN … COMMIT, synchronously; each write's promise settles after that COMMIT
 * — so a caller that saw success has its row on disk exactly as with autocommit, but a turn's worth of
 * ingest (hundreds of events, reported states and status updates when a wave lands) pays for one commit
 * instead of one each: an autocommit insert costs ~25 µs on tmpfs, one inside a transaction ~5 µs. Reads
 * run at once and see committed writes, as on PostgreSQL. The lock is never held across a yield: a batch
 * begun at the first write and committed a turn later made a second connection to the file in the same
 * thread (two replicas in one test process) block in SQLite's busy handler while holding up the commit it
 * waited for. Statement-level atomicity is SQLite's: a failing write fails alone, unless SQLite rolled the
 * whole transaction back (disk full, I/O error), in which case every write of the batch rejects.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { drizzle as syncDrizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle } from 'drizzle-orm/sqlite-proxy';
import type { Database, Db } from './database.js';
import * as schema from './schema.js';

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));
/** Prepared statements kept per SQL text; cleared when more distinct texts than this pass (inArray lists). */
const STATEMENT_CACHE_SIZE = 512;

export function openSqliteDatabase(options: { file: string }): Database {
  // Created 0600 before SQLite opens it (its -wal and -shm files take the same mode); an older file is tightened.
  if (options.file !== ':memory:') {
    closeSync(openSync(options.file, 'a', 0o600));
    chmodSync(options.file, 0o600);
  }
  const sqlite = new BetterSqlite3(options.file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  // 64 MiB of page cache (the default is 2 MiB): a fleet's device, desired and window tables outgrow the
  // default, and every page that falls out is re-read from the OS (one 2,000-device simulator run: total
  // statement time 8.0 s → 6.4 s with the larger cache; a single, noisy comparison).
  sqlite.pragma('cache_size = -65536');
  migrate(syncDrizzle(sqlite, { schema }), { migrationsFolder: MIGRATIONS_FOLDER });

  const statements = new Map<string, BetterSqlite3.Statement>();
  function prepare(text: string): BetterSqlite3.Statement {
    let statement = statements.get(text);
    if (statement === undefined) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
      statement = sqlite.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  }

  let holding = false;
  let gate: Promise<void> = Promise.resolve();
  async function waitForGate(): Promise<void> {
    while (holding) await gate;
  }

  let queue: QueuedWrite[] = [];
  /** Queues a write for the turn's group commit; settles with its result once that commit is done. */
  function enqueue(statement: BetterSqlite3.Statement, params: unknown[], method: string): Promise<Rows> {
    if (queue.length === 0) setImmediate(flush);
    return new Promise((resolve, reject) => queue.push({ statement, params, method, resolve, reject }));
  }
  /** Runs the queued writes in one transaction, synchronously: no lock is held across a yield. */
  function flush(): void {
    if (queue.length === 0) return;
    const writes = queue;
    queue = [];
    const fail = (error: unknown) => {
      for (const write of writes) write.reject(error);
    };
    try {
      sqlite.exec('BEGIN IMMEDIATE');
    } catch (error) {
      fail(error);
      return;
    }
    const results: ({ ok: true; rows: Rows } | { ok: false; error: unknown })[] = [];
    for (const write of writes) {
      try {
        results.push({ ok: true, rows: execute(write.statement, write.params, write.method) });
      } catch (error) {
        // SQLite rolled the whole transaction back (e.g. SQLITE_FULL): every write of the batch is gone.
        if (!sqlite.inTransaction) {
          fail(error);
          return;
        }
        results.push({ ok: false, error });
      }
    }
    try {
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      fail(error);
      return;
    }
    for (const [i, write] of writes.entries()) {
      const result = results[i] as (typeof results)[number];
      if (result.ok) write.resolve(result.rows);
      else write.reject(result.error);
    }
  }
  function execute(statement: BetterSqlite3.Statement, params: unknown[], method: string): Rows {
    if (method === 'run' || !statement.reader) {
      statement.run(params);
      return { rows: [] };
    }
    if (method === 'get') return { rows: statement.raw(true).get(params) as unknown[] };
    return { rows: statement.raw(true).all(params) };
  }

  const db: Db = drizzle(
    async (text, params, method) => {
      if (holding) await waitForGate();
      const statement = prepare(text);
      return statement.readonly ? execute(statement, params, method) : enqueue(statement, params, method);
    },
    { schema },
  );
  // The handle of the transaction holding the gate: its statements run inside BEGIN … COMMIT as they come.
  const tx: Db = drizzle(
    async (text, params, method) => {
      if (!holding) throw new Error(`statement on a finished transaction: ${text}`);
      return execute(prepare(text), params, method);
    },
    { schema },
  );

  let closed = false;
  return {
    dialect: 'sqlite',
    db,
    tables: schema,
    async transaction(fn) {
      const previous = gate;
      let release = () => {};
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      await previous;
      // The writes queued so far commit on their own, before (and whatever becomes of) this transaction; no
      // write can queue while it holds the gate.
      flush();
      holding = true;
      try {
        sqlite.exec('BEGIN IMMEDIATE');
        const result = await fn(tx);
        sqlite.exec('COMMIT');
        return result;
      } catch (error) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw error;
      } finally {
        holding = false;
        release();
      }
    },
    async close() {
      if (closed) return;
      await waitForGate();
      flush();
      closed = true;
      sqlite.close();
    },
  };
}

type Rows = { rows: unknown[] };

interface QueuedWrite {
  readonly statement: BetterSqlite3.Statement;
  readonly params: unknown[];
  readonly method: string;
  resolve(rows: Rows): void;
  reject(error: unknown): void;
}
