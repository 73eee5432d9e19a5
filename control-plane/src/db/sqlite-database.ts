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
 * Group commit: a write outside a transaction joins an implicit one that commits once the current
 * event-loop turn is over (setImmediate), and its promise settles only after that COMMIT — so a caller
 * that saw success has its row on disk exactly as with autocommit, but a turn's worth of ingest (hundreds
 * of events, reported states and status updates when a wave lands) pays for one commit instead of one
 * each: an autocommit insert costs ~25 µs on tmpfs, one inside a transaction ~5 µs. Statement-level
 * atomicity is SQLite's: a failing write fails alone, unless SQLite rolled the whole transaction back
 * (disk full, I/O error), in which case every write of the batch rejects with that error.
 */
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

  let batch: Batch | null = null;
  /** The open group-commit batch (begun now when there is none); settles when it commits or fails. */
  function joinBatch(): Batch {
    if (batch === null) {
      sqlite.exec('BEGIN IMMEDIATE');
      batch = createBatch();
      setImmediate(commitBatch);
    }
    return batch;
  }
  function commitBatch(): void {
    const open = batch;
    if (open === null) return;
    batch = null;
    try {
      sqlite.exec('COMMIT');
      open.resolve();
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      open.reject(error);
    }
  }
  function execute(statement: BetterSqlite3.Statement, params: unknown[], method: string): { rows: unknown[] } {
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
      if (statement.readonly) return execute(statement, params, method);
      const joined = joinBatch();
      let result: { rows: unknown[] };
      try {
        result = execute(statement, params, method);
      } catch (error) {
        // SQLite rolled the whole transaction back (e.g. SQLITE_FULL): the batch's other writes are gone too.
        if (batch === joined && !sqlite.inTransaction) {
          batch = null;
          joined.reject(error);
        }
        throw error;
      }
      await joined.committed;
      return result;
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
      holding = true;
      try {
        // The writes batched so far commit on their own, before (and whatever becomes of) this transaction.
        commitBatch();
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
      commitBatch();
      closed = true;
      sqlite.close();
    },
  };
}

interface Batch {
  readonly committed: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function createBatch(): Batch {
  let resolve = () => {};
  let reject: (error: unknown) => void = () => {};
  const committed = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Waiters handle the rejection; this keeps a batch nobody awaits any more from an unhandled rejection.
  committed.catch(() => undefined);
  return { committed, resolve, reject };
}
