import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@edgefleet/test-kit';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { openPgDatabase } from '../../src/db/pg-database.js';

/**
 * The same rows through both dialects' `Database` handles (db/database.ts) and their committed migrations:
 * what one stores and reads back, the other must too (millisecond timestamps beyond int4, JSON, bytes, reals,
 * defaults, unique (device, seq) de-duplication). One test body drives both through the same query code.
 */
interface Dialect {
  name: string;
  database: Database;
  close(): Promise<void>;
}

let pg: PostgresServer;
const dialects: { name: string; open: () => Promise<Dialect> }[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'ef-dialect-'));
      const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'edgefleet.db') });
      return {
        name: 'sqlite',
        database,
        async close() {
          await database.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const database = await openDatabase({ kind: 'postgres', url: await pg.createDatabase() });
      return { name: 'postgres', database, close: () => database.close() };
    },
  },
];

beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

const MS = 1_795_441_884_528; // beyond int4: a millisecond timestamp must survive as a number
const device = {
  id: 'd-1',
  group: 'lab',
  tags: ['a', 'b'],
  passwordHash: 'h',
  hardware: { cpu: 'arm64', ramMb: 512 },
  enrolledAt: MS,
};

describe.each(dialects)('the $name dialect', ({ open }) => {
  it('stores and reads back devices, JSON, bytes, reals and defaults exactly', async () => {
    const d = await open();
    const { db, tables: s } = d.database;
    try {
      await db.insert(s.devices).values(device);
      const [row] = await db.select().from(s.devices).where(eq(s.devices.id, 'd-1'));
      expect(row).toEqual({ ...device, connection: 'offline', lastSeenAt: null, parentId: null, revokedAt: null });
      const manifest = Buffer.from([0, 1, 2, 255, 254]);
      await db.insert(s.modelVersions).values({
        line: 'iris',
        version: 3,
        digest: 'x',
        sizeBytes: 10,
        chunkCount: 1,
        signedManifest: manifest,
        createdAt: MS,
      });
      const [model] = await db.select().from(s.modelVersions);
      expect(Buffer.from(model?.signedManifest ?? []).equals(manifest)).toBe(true);
      expect(model?.createdAt).toBe(MS);
      await db.insert(s.flJobs).values({
        id: 'fl-1',
        line: 'iris',
        config: { rounds: 3 },
        state: 'running',
        globalDigest: 'g',
        bestAccuracy: 0.9375,
        createdBy: 'admin',
        createdAt: MS,
        updatedAt: MS,
      });
      const [job] = await db.select().from(s.flJobs);
      expect(job).toMatchObject({ bestAccuracy: 0.9375, roundsDone: 0, config: { rounds: 3 }, strategyState: null });
    } finally {
      await d.close();
    }
  });

  it('stores a telemetry window once per (device, seq) and keeps audit ids increasing', async () => {
    const d = await open();
    const { db, tables: s } = d.database;
    try {
      await db.insert(s.devices).values(device);
      const window = {
        deviceId: 'd-1',
        seq: 7,
        line: 'iris',
        version: 1,
        windowStartMs: MS,
        windowEndMs: MS + 60_000,
        count: 10,
        errors: 0,
        latencyMs: { p50: 1.5, p95: 3 },
        receivedAt: MS,
      };
      await db.insert(s.telemetryWindows).values(window).onConflictDoNothing();
      await db.insert(s.telemetryWindows).values(window).onConflictDoNothing();
      const rows = await db
        .select()
        .from(s.telemetryWindows)
        .where(and(eq(s.telemetryWindows.deviceId, 'd-1'), eq(s.telemetryWindows.seq, 7)));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ ...window, id: 1 });
      for (const action of ['a', 'b']) {
        await db.insert(s.auditLog).values({ ts: MS, actor: 'x', action, target: 't', status: 200, details: {} });
      }
      const audit = await db.select().from(s.auditLog);
      expect(audit.map((r: { id: number; action: string }) => [r.id, r.action])).toEqual([
        [1, 'a'],
        [2, 'b'],
      ]);
    } finally {
      await d.close();
    }
  });
});

const PG_MIGRATIONS = JSON.parse(
  readFileSync(new URL('../../drizzle-pg/meta/_journal.json', import.meta.url), 'utf8'),
) as { entries: unknown[] };

describe('PostgreSQL migrations', () => {
  it('apply once when two replicas open the same empty database at the same time', async () => {
    const url = await pg.createDatabase();
    const [a, b] = await Promise.all([openPgDatabase({ url }), openPgDatabase({ url })]);
    try {
      const applied = await a.pool.query('select count(*)::int as n from drizzle.__drizzle_migrations');
      // Each committed migration exactly once, not once per replica.
      expect(applied.rows[0].n).toBe(PG_MIGRATIONS.entries.length);
      const tables = await b.pool.query(
        "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
      );
      expect(tables.rows[0].n).toBe(19);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
