import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@edgefleet/test';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPgAdvisoryLock } from '../../src/index.js';
import { createManualClock } from '../helpers/manual-clock.js';
import { type Harness, onChampion, registerVersions, startHarness } from '../rollouts/rollout-harness.js';

/**
 * Two control-plane replicas over one database, one scheduler leader elected by the PostgreSQL advisory lock:
 * the leader is closed in the middle of a staged rollout and the follower, once it holds the lock, resumes
 * the rollout from the database to completion, without assigning any device a second time. (The replicas
 * share one SQLite file here; the store on PostgreSQL is not wired yet — README, issue 9.)
 */
const MIN = 60_000;
const logger = pino({ level: 'silent' });
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

describe('scheduler leader change between replicas', () => {
  it('lets the follower finish a rollout the closed leader started, each device assigned once', async () => {
    const url = await pg.createDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'ef-replicas-'));
    const clock = createManualClock(1_700_000_000_000);
    const replica = (name: string) =>
      startHarness({
        dataDir,
        clock,
        scheduler: { lock: createPgAdvisoryLock({ url, logger: logger.child({ name }) }), leaderRetryMs: 100 },
      });
    const a: Harness = await replica('a');
    const b: Harness = await replica('b');
    try {
      expect(a.f.cp.leadership().state).toBe('leader');
      expect(b.f.cp.leadership().state).toBe('follower');
      await registerVersions(a, 2);
      const ids = await a.enrol(6);
      await onChampion(a, ids);
      const seqBefore = new Map<string, number>();
      for (const id of ids) seqBefore.set(id, (await a.desired(id))?.seq ?? -1);

      const r = await a.rollout({
        line: 'iris',
        version: 2,
        selector: { group: 'lab' },
        observationMs: MIN,
        installTimeoutMs: 30 * MIN,
        waves: [{ percent: 50 }, { percent: 100 }],
      });
      const wave0 = (await a.get(r.id)).waves[0]?.devices ?? [];
      expect(wave0).toHaveLength(3);
      await a.installed(wave0, 2);
      await a.advance(MIN + 1);
      const mid = await a.get(r.id);
      expect(mid).toMatchObject({ state: 'wave-installing', currentWave: 1 });
      const wave1 = ids.filter((id) => !wave0.includes(id));

      await a.f.close({ keepDir: true });
      await vi.waitFor(() => expect(b.f.cp.leadership()).toEqual({ state: 'leader', terms: 1 }), {
        timeout: 10_000,
      });
      await b.installed(wave1, 2);
      // Time moves and nobody calls tick(): only the new leader's own ticker can finish the rollout.
      const done = await vi.waitFor(
        async () => {
          clock.advance(MIN);
          const view = await b.get(r.id);
          expect(view.state).toBe('completed');
          return view;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(done.devices.map((d) => d.status)).toEqual(ids.map(() => 'installed'));
      for (const id of ids) {
        const desired = await b.desired(id);
        expect(desired?.assignments).toEqual([{ line: 'iris', version: 2 }]);
        // One new desired document per device for the rollout: nobody assigned it twice.
        expect(desired?.seq, id).toBe((seqBefore.get(id) ?? 0) + 1);
      }
    } finally {
      await a.f.close({ keepDir: true });
      await b.f.close({ keepDir: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
