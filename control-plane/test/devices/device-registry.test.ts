import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { createDeviceRegistry, TOUCH_RESOLUTION_MS } from '../../src/devices/device-registry.js';

let dir: string;
let database: Database;
let nowMs: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgefleet-registry-'));
  database = await openDatabase({ kind: 'sqlite', file: join(dir, 'cp.db') });
  nowMs = 1_000_000;
});
afterEach(async () => {
  await database.close();
  await rm(dir, { recursive: true, force: true });
});

const registry = () => createDeviceRegistry({ database, now: () => nowMs });

async function insertDevice(id: string): Promise<void> {
  await database.db.insert(database.tables.devices).values({
    id,
    group: 'g',
    tags: [],
    passwordHash: 'x',
    hardware: null,
    connection: 'offline',
    enrolledAt: nowMs,
  });
}

async function lastSeen(id: string): Promise<number | null> {
  const { devices: table } = database.tables;
  const rows = await database.db.select().from(table).where(eq(table.id, id));
  return rows[0]?.lastSeenAt ?? null;
}

describe('device registry', () => {
  it('records lastSeenAt at most once per resolution window, and again after it', async () => {
    const r = registry();
    await insertDevice('d1');
    await r.touch('d1');
    expect(await lastSeen('d1')).toBe(1_000_000);
    nowMs += TOUCH_RESOLUTION_MS - 1;
    await r.touch('d1');
    expect(await lastSeen('d1')).toBe(1_000_000);
    nowMs += 1;
    await r.touch('d1');
    expect(await lastSeen('d1')).toBe(1_000_000 + TOUCH_RESOLUTION_MS);
    // A connection change always writes (and restarts the window).
    nowMs += 10;
    await r.setConnection('d1', 'online');
    expect(await lastSeen('d1')).toBe(1_000_000 + TOUCH_RESOLUTION_MS + 10);
  });

  it('finds a device enrolled after it was asked about (unknown ids are not remembered)', async () => {
    const r = registry();
    expect(await r.exists('late')).toBe(false);
    await insertDevice('late');
    expect(await r.exists('late')).toBe(true);
    // A second registry (another replica) finds it in the table.
    expect(await registry().exists('late')).toBe(true);
  });

  it("keeps a device's group and tags once read, and refuses an unknown id", async () => {
    const r = registry();
    await insertDevice('d2');
    expect(await r.membership('d2')).toEqual({ id: 'd2', group: 'g', tags: [] });
    // Nothing updates group or tags after enrolment; a change behind the registry's back is not re-read.
    const { devices } = database.tables;
    await database.db.update(devices).set({ group: 'other' }).where(eq(devices.id, 'd2'));
    expect((await r.membership('d2')).group).toBe('g');
    expect((await r.get('d2')).group).toBe('other');
    await expect(r.membership('nobody')).rejects.toMatchObject({ code: 'DEVICE_UNKNOWN' });
  });
});
