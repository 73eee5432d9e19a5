import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { ControlPlaneError } from '../../src/errors.js';
import { move, type RolloutContext } from '../../src/rollouts/rollout-context.js';
import { createRolloutStore } from '../../src/rollouts/rollout-store.js';

/**
 * Rollout writes that two schedulers could race on during a leader change (the old leader's last tick and the
 * new leader's first): a state transition and the claim of a device for assignment are compare-and-set, so
 * exactly one of two writers wins.
 */
let dir: string;
let opened: Database;
let store: ReturnType<typeof createRolloutStore>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ef-cas-'));
  opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'edgefleet.db') });
  store = createRolloutStore({ database: opened, now: () => 1_000 });
  const { devices } = opened.tables;
  for (const id of ['d-1', 'd-2'])
    await opened.db.insert(devices).values({ id, group: 'lab', tags: [], passwordHash: 'h', enrolledAt: 1 });
  await store.insert(
    { id: 'r-1', line: 'iris', version: 2, group: 'lab', createdBy: 'admin', createdAt: 1, state: 'wave-installing' },
    [{ rolloutId: 'r-1', index: 0, mode: 'live', state: 'installing' }],
    ['d-1', 'd-2'].map((deviceId, rank) => ({
      rolloutId: 'r-1',
      deviceId,
      status: 'pending' as const,
      error: null,
      updatedAt: 1,
      wave: 0,
      rank,
      assignedAt: null,
      championVersion: null,
    })),
  );
});
afterEach(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollout compare-and-set', () => {
  it('lets exactly one of two schedulers claim a device, and a released claim be taken again', async () => {
    expect(await store.claimAssignment('r-1', 'd-1', 5)).toBe(true);
    expect(await store.claimAssignment('r-1', 'd-1', 6)).toBe(false);
    expect((await store.nextUnassigned('r-1', 0, 10)).map((m) => m.deviceId)).toEqual(['d-2']);
    await store.releaseAssignment('r-1', 'd-1', 6); // not the holder's claim: no effect
    expect(await store.claimAssignment('r-1', 'd-1', 7)).toBe(false);
    await store.releaseAssignment('r-1', 'd-1', 5);
    expect(await store.claimAssignment('r-1', 'd-1', 8)).toBe(true);
  });

  it('applies a state transition only from the state the writer read', async () => {
    expect(await store.transition('r-1', 'wave-installing', { state: 'wave-observing' })).toBe(true);
    expect(await store.transition('r-1', 'wave-installing', { state: 'paused' })).toBe(false);
    expect((await store.get('r-1')).state).toBe('wave-observing');
  });

  it('refuses a transition from a stale row with CONFLICT (409) and leaves the state alone', async () => {
    const stale = await store.get('r-1');
    const ctx = { store, logger: pino({ level: 'silent' }), now: () => 2_000 } as unknown as RolloutContext;
    await store.transition('r-1', 'wave-installing', { state: 'paused' });
    let error: unknown;
    try {
      await move(ctx, stale, 'wave-observing');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect((error as ControlPlaneError).code).toBe('CONFLICT');
    expect((await store.get('r-1')).state).toBe('paused');
  });
});
