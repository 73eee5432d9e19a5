import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { placeholders, prepareOnce } from '../../src/db/prepared.js';

const open: { database: Database; dir: string }[] = [];
afterEach(async () => {
  for (const { database, dir } of open.splice(0)) {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
async function sqlite(): Promise<Database> {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-prepared-'));
  const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'cp.db') });
  open.push({ database, dir });
  return database;
}

const insertToken = (database: Database) =>
  prepareOnce<unknown>(database, 'test.insertToken', (db, t) =>
    db.insert(t.apiTokens).values(placeholders(['tokenHash', 'name', 'role', 'createdAt'])),
  );
const tokenByName = (database: Database, builds: { n: number }) =>
  prepareOnce<{ name: string; role: string }[]>(database, 'test.tokenByName', (db, t) => {
    builds.n++;
    return db
      .select({ name: t.apiTokens.name, role: t.apiTokens.role })
      .from(t.apiTokens)
      .where(eq(t.apiTokens.name, sql.placeholder('name')));
  });

describe('prepared queries', () => {
  it('are built once per database and run with new values each time', async () => {
    const a = await sqlite();
    const b = await sqlite();
    const builds = { n: 0 };
    await insertToken(a).execute({ tokenHash: 'h1', name: 'one', role: 'viewer', createdAt: 1 });
    await insertToken(a).execute({ tokenHash: 'h2', name: 'two', role: 'operator', createdAt: 2 });
    expect(await tokenByName(a, builds).execute({ name: 'two' })).toEqual([{ name: 'two', role: 'operator' }]);
    expect(await tokenByName(a, builds).execute({ name: 'one' })).toEqual([{ name: 'one', role: 'viewer' }]);
    expect(builds.n).toBe(1);
    // Another database has its own statement (and its own rows).
    expect(await tokenByName(b, builds).execute({ name: 'one' })).toEqual([]);
    expect(builds.n).toBe(2);
  });

  it('refuses a run without a value for one of its placeholders', async () => {
    const a = await sqlite();
    await expect(tokenByName(a, { n: 0 }).execute({})).rejects.toThrow(/placeholder "name"/);
  });
});
