import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@edgefleet/test-kit';
import { asc } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { createTelemetryWriter, type TelemetryRow } from '../../src/ingest/telemetry-writer.js';
import { createMetrics } from '../../src/metrics.js';

/**
 * The write-behind telemetry buffer on both dialects: batched multi-row inserts still store each
 * (device, seq) exactly once — redeliveries inside one batch and across batches — and `flush()` resolves only
 * once everything added before it is stored, including rows still waiting for the flush timer.
 */
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

const dialects: { name: string; open: () => Promise<{ database: Database; cleanup: () => void }> }[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'ef-telemetry-'));
      const database = await openDatabase({ kind: 'sqlite', file: join(dir, 'edgefleet.db') });
      return { database, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgres',
    async open() {
      return { database: await openDatabase({ kind: 'postgres', url: await pg.createDatabase() }), cleanup: () => {} };
    },
  },
];

const row = (deviceId: string, seq: number, count: number): TelemetryRow => ({
  deviceId,
  seq,
  line: 'iris',
  version: 1,
  windowStartMs: 1_795_441_884_528 + seq,
  windowEndMs: 1_795_441_884_529 + seq,
  count,
  errors: 0,
  latencyMs: { p95: 2 },
  receivedAt: 1,
});

describe.each(dialects)('the telemetry writer on $name', ({ open }) => {
  it('stores every (device, seq) once across size-cut batches and the flushed rest, first delivery wins', async () => {
    const { database, cleanup } = await open();
    try {
      const { devices, telemetryWindows } = database.tables;
      for (const id of ['d-1', 'd-2'])
        await database.db.insert(devices).values({ id, group: 'lab', tags: [], passwordHash: 'h', enrolledAt: 1 });
      const metrics = createMetrics();
      const writer = createTelemetryWriter({ database, logger: pino({ level: 'silent' }), metrics, maxRows: 3 });
      // Batch 1 (cut by size): d-1/1 twice inside it. Batch 2: d-1/1 again across batches, d-2/1 new.
      for (const r of [row('d-1', 1, 10), row('d-1', 1, 99), row('d-1', 2, 20)]) writer.add(r);
      for (const r of [row('d-1', 1, 98), row('d-2', 1, 30), row('d-1', 3, 40), row('d-2', 1, 97)]) writer.add(r);
      await writer.flush();
      const stored = await database.db
        .select({ deviceId: telemetryWindows.deviceId, seq: telemetryWindows.seq, count: telemetryWindows.count })
        .from(telemetryWindows)
        .orderBy(asc(telemetryWindows.deviceId), asc(telemetryWindows.seq));
      expect(stored).toEqual([
        { deviceId: 'd-1', seq: 1, count: 10 },
        { deviceId: 'd-1', seq: 2, count: 20 },
        { deviceId: 'd-1', seq: 3, count: 40 },
        { deviceId: 'd-2', seq: 1, count: 30 },
      ]);
      expect(metrics.snapshot().rejectionsByCode).toEqual({});
    } finally {
      await database.close();
      cleanup();
    }
  });

  it('logs and counts a batch the database refuses, and goes on storing the next', async () => {
    const { database, cleanup } = await open();
    try {
      await database.db
        .insert(database.tables.devices)
        .values({ id: 'd-1', group: 'lab', tags: [], passwordHash: 'h', enrolledAt: 1 });
      const metrics = createMetrics();
      const writer = createTelemetryWriter({ database, logger: pino({ level: 'silent' }), metrics, maxRows: 2 });
      writer.add(row('unknown-device', 1, 1)); // foreign key to devices: the batch is refused
      writer.add(row('d-1', 1, 1));
      writer.add(row('d-1', 2, 2));
      await writer.flush();
      expect(metrics.snapshot().rejectionsByCode).toEqual({ INTERNAL: 1 });
      const stored = await database.db.select().from(database.tables.telemetryWindows);
      expect(stored.map((r) => r.seq)).toEqual([2]);
    } finally {
      await database.close();
      cleanup();
    }
  });
});
