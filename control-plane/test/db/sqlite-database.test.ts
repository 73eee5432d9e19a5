import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openSqliteDatabase } from '../../src/db/sqlite-database.js';

/**
 * The SQLite handle's transaction gate and group commit (db/sqlite-database.ts), watched from a second
 * connection to the same file: what that connection sees is what is on disk.
 */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function open(): { database: Database; file: string; committedNames: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-group-commit-'));
  const file = join(dir, 'cp.db');
  const database = openSqliteDatabase({ file });
  const observer = new BetterSqlite3(file, { readonly: true });
  cleanups.push(async () => {
    observer.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const select = observer.prepare('select name from api_tokens order by name');
  return { database, file, committedNames: () => select.all().map((row) => (row as { name: string }).name) };
}

const token = (name: string) => ({ tokenHash: `hash-${name}`, name, role: 'viewer' as const, createdAt: 1 });

describe('SQLite group commit', () => {
  it('commits the writes of one event-loop turn together, and settles each only once it is on disk', async () => {
    const { database, committedNames } = open();
    const { db, tables } = database;
    // Runs after the three statements have executed (microtasks) but before the batch's commit.
    let beforeCommit: string[] = [];
    setImmediate(() => {
      beforeCommit = committedNames();
    });
    const seenOnSettle: string[][] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        db
          .insert(tables.apiTokens)
          .values(token(name))
          .then(() => seenOnSettle.push(committedNames())),
      ),
    );
    expect(beforeCommit).toEqual([]);
    expect(seenOnSettle).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
  });

  it('fails a rejected write alone: the other writes of its batch commit', async () => {
    const { database, committedNames } = open();
    const { db, tables } = database;
    await db.insert(tables.apiTokens).values(token('taken'));
    const results = await Promise.allSettled([
      db.insert(tables.apiTokens).values(token('x')),
      db.insert(tables.apiTokens).values({ ...token('dup'), tokenHash: 'hash-taken' }),
      db.insert(tables.apiTokens).values(token('y')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String(((results[1] as PromiseRejectedResult).reason as Error).cause)).toMatch(/UNIQUE/);
    expect(committedNames()).toEqual(['taken', 'x', 'y']);
  });

  it('rejects every write of a batch that SQLite rolled back as a whole (disk full), and batches again after', async () => {
    const { database, committedNames } = open();
    const { db, tables } = database;
    const pages = (await db.get<[number]>(sql`PRAGMA page_count`)) as unknown as [number];
    await db.run(sql.raw(`PRAGMA max_page_count = ${pages[0] + 2}`));
    const results = await Promise.allSettled([
      db.insert(tables.apiTokens).values(token('small')),
      db.insert(tables.apiTokens).values(token('x'.repeat(100_000))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    for (const result of results) {
      expect(String(((result as PromiseRejectedResult).reason as Error).cause)).toMatch(/full/i);
    }
    expect(committedNames()).toEqual([]);
    await db.run(sql.raw('PRAGMA max_page_count = 1000000'));
    await Promise.all([db.insert(tables.apiTokens).values(token('a')), db.insert(tables.apiTokens).values(token('b'))]);
    expect(committedNames()).toEqual(['a', 'b']);
  });

  it('holds no lock across a yield: a second connection in the same thread writes in the same turn', async () => {
    const { database, file, committedNames } = open();
    const other = openSqliteDatabase({ file });
    cleanups.unshift(() => other.close());
    const { tables } = database;
    // Interleaved writes of both handles in one turn: a lock held from one handle's first write until a
    // later turn would leave the other in SQLite's busy handler (5 s, then SQLITE_BUSY) with the commit it
    // waits for stuck behind it.
    await Promise.all([
      database.db.insert(tables.apiTokens).values(token('a1')),
      other.db.insert(tables.apiTokens).values(token('b1')),
      database.db.insert(tables.apiTokens).values(token('a2')),
      other.db.insert(tables.apiTokens).values(token('b2')),
    ]);
    expect(committedNames()).toEqual(['a1', 'a2', 'b1', 'b2']);
  });

  it('commits queued writes before a transaction begins, so the transaction rolling back keeps them', async () => {
    const { database, committedNames } = open();
    const { db, tables } = database;
    // Begun from an immediate scheduled before the write: after the write is queued, before the turn's commit.
    let transaction: Promise<unknown> = Promise.resolve();
    let committedAtBegin: string[] = [];
    setImmediate(() => {
      transaction = database.transaction(async (tx) => {
        committedAtBegin = committedNames();
        await tx.insert(tables.apiTokens).values(token('in-transaction'));
        throw new Error('abandon');
      });
    });
    await db.insert(tables.apiTokens).values(token('batched'));
    await expect(transaction).rejects.toThrow('abandon');
    expect(committedAtBegin).toEqual(['batched']);
    expect(committedNames()).toEqual(['batched']);
    // And the handle keeps batching afterwards.
    await db.insert(tables.apiTokens).values(token('after'));
    expect(committedNames()).toEqual(['after', 'batched']);
  });

  it('commits what is batched when the database closes', async () => {
    const { database, committedNames } = open();
    // Scheduled before the write, so it runs after the write's statement but before the batch's own commit.
    let closing: Promise<void> = Promise.resolve();
    setImmediate(() => {
      closing = database.close();
    });
    await database.db.insert(database.tables.apiTokens).values(token('last'));
    await closing;
    expect(committedNames()).toEqual(['last']);
  });
});

describe('SQLite transaction gate', () => {
  it('holds statements on the database handle until a transaction ends, so its rollback does not take them', async () => {
    const { database, committedNames } = open();
    const { db, tables } = database;
    let outside: Promise<[string[], unknown]> = Promise.resolve([[], undefined]);
    const transaction = database.transaction(async (tx) => {
      await tx.insert(tables.apiTokens).values(token('in-transaction'));
      // Issued while the transaction holds the gate: without it, the read would see the uncommitted row and
      // the write would be rolled back with the transaction.
      outside = Promise.all([
        db
          .select({ name: tables.apiTokens.name })
          .from(tables.apiTokens)
          .then((rows) => rows.map((r) => r.name)),
        db.insert(tables.apiTokens).values(token('outside')),
      ]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('abandon');
    });
    await expect(transaction).rejects.toThrow('abandon');
    const [seen] = await outside;
    expect(seen).toEqual([]);
    expect(committedNames()).toEqual(['outside']);
  });

  it('refuses a statement on the handle of a transaction that has ended', async () => {
    const { database } = open();
    let leaked: Parameters<Parameters<Database['transaction']>[0]>[0] | null = null;
    await database.transaction(async (tx) => {
      leaked = tx;
    });
    const late = (leaked as unknown as Database['db']).select().from(database.tables.apiTokens);
    await expect(
      late.then(
        () => null,
        (error: Error) => String(error.cause),
      ),
    ).resolves.toMatch(/finished transaction/);
  });
});
