import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MlpSpec } from '@edgefleet/protocol';
import { type PostgresServer, startPostgres } from '@edgefleet/test-kit';
import { irisDataset } from '@edgefleet/test-kit/models';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFileBlobStore, encodeEvalSet } from '../../src/index.js';
import { loadOrCreateKeys } from '../../src/keys/key-store.js';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { scriptedFlDevice } from '../helpers/fl-device.js';
import { createManualClock } from '../helpers/manual-clock.js';
import { deviceClients } from '../helpers/mqtt.js';
import { type Harness, onChampion, registerVersions, startHarness } from '../rollouts/rollout-harness.js';

/**
 * Two control-plane replicas over one database, one scheduler leader elected by the PostgreSQL advisory lock:
 * the leader is closed in the middle of a staged rollout and the follower, once it holds the lock, resumes
 * the rollout from the database to completion, without assigning any device a second time; a federated job
 * running on the closed leader goes on with a new round attempt on the new leader. The replicas share only
 * what replicas must: the PostgreSQL database (whose advisory lock is their default scheduler lock), the
 * signing keys, the bootstrap admin token and a blob store; each has its own data directory.
 */
const MIN = 60_000;
const logger = pino({ level: 'silent' });
const ADMIN_TOKEN = 'eft_replica-test-admin-token';

/** What every replica of one deployment shares, besides the database: keys, admin token, blob store. */
function sharedDeployment(url: string) {
  const shared = mkdtempSync(join(tmpdir(), 'ef-replicas-shared-'));
  const dirs = [shared];
  const options = {
    database: { kind: 'postgres' as const, url },
    keys: loadOrCreateKeys(join(shared, 'keys.json')).keys,
    adminToken: ADMIN_TOKEN,
    blobStore: createFileBlobStore({ dir: join(shared, 'blobs') }),
    logger,
  };
  return {
    options,
    dataDir() {
      const dir = mkdtempSync(join(tmpdir(), 'ef-replica-'));
      dirs.push(dir);
      return dir;
    },
    cleanup: () => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
let pg: PostgresServer;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg?.stop();
});

describe('scheduler leader change between replicas', () => {
  it('lets the follower finish a rollout the closed leader started, each device assigned once', async () => {
    const deployment = sharedDeployment(await pg.createDatabase());
    const clock = createManualClock(1_700_000_000_000);
    const replica = () =>
      startHarness({
        ...deployment.options,
        dataDir: deployment.dataDir(),
        clock,
        scheduler: { leaderRetryMs: 100 },
      });
    const a: Harness = await replica();
    const b: Harness = await replica();
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
      deployment.cleanup();
    }
  });
});

describe('federated jobs across a leader change', () => {
  const clients = deviceClients();

  it('continues the running job’s open round on the new leader', async () => {
    const deployment = sharedDeployment(await pg.createDatabase());
    const replica = () =>
      startFixture({ ...deployment.options, dataDir: deployment.dataDir(), scheduler: { leaderRetryMs: 100 } });
    const a: Fixture = await replica();
    const b: Fixture = await replica();
    try {
      const iris = irisDataset();
      const evalSet = await a.cp.fl.uploadEvalSet(
        encodeEvalSet({ x: Float32Array.from(iris.features.flat()), y: Uint8Array.from(iris.labels), features: 4 }),
      );
      for (let i = 0; i < 2; i++) {
        const enrolled = await a.enrol({ group: 'fl' });
        await scriptedFlDevice(await clients.online(enrolled), enrolled.deviceId, { mode: 'dropout' });
      }
      const spec: MlpSpec = { kind: 'mlp', layers: [4, 6, 3], activation: 'relu' };
      const created = await a.request('POST', '/v1/fl/jobs', {
        json: {
          line: 'fl-iris',
          selector: { group: 'fl' },
          spec,
          init: { seed: 7 },
          evalSet: evalSet.digest,
          rounds: 1,
          fraction: 1,
          minClients: 2,
          deadlineMs: 60_000,
          retryDelayMs: 60_000,
        },
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      await expect.poll(async () => (await a.cp.fl.get(id)).rounds[0]?.state).toBe('training');
      // The follower serves the job's state from the database but does not run it.
      expect((await b.cp.fl.get(id)).rounds).toHaveLength(1);

      await clients.closeAll();
      await a.close({ keepDir: true });
      await vi.waitFor(() => expect(b.cp.leadership().state).toBe('leader'), { timeout: 10_000 });
      // The new leader continues the open round attempt with what the old one stored instead of failing it.
      await vi.waitFor(async () => {
        const job = await b.cp.fl.get(id);
        expect(job.rounds.map((r) => [r.round, r.attempt, r.state])).toEqual([[1, 1, 'training']]);
        expect(job.state).toBe('running');
      });
      await b.cp.fl.cancel(id);
    } finally {
      await clients.closeAll();
      await a.close({ keepDir: true });
      await b.close({ keepDir: true });
      deployment.cleanup();
    }
  });
});
