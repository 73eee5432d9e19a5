import { startPostgres } from '@edgefleet/test-kit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  alwaysLeaderLock,
  createPgAdvisoryLock,
  type LeaderDuties,
  type LeaderElection,
  SCHEDULER_LOCK_KEY,
  startLeaderElection,
} from '../../src/index.js';
import { transitionScheduler } from '../../src/scheduler/leader-election.js';

const logger = pino({ level: 'silent' });
const RETRY_MS = 100;

/** A duties recorder: counts starts and stops, and says whether it is running now. */
function recordingDuties() {
  const record = { starts: 0, stops: 0, running: false };
  const duties: LeaderDuties = {
    async start() {
      record.starts += 1;
      record.running = true;
    },
    stop() {
      record.stops += 1;
      record.running = false;
    },
  };
  return { duties, record };
}

describe('scheduler state machine', () => {
  it('rejects moves out of stopped and allows follower ↔ leader', () => {
    expect(transitionScheduler('follower', 'leader')).toBe('leader');
    expect(transitionScheduler('leader', 'follower')).toBe('follower');
    expect(() => transitionScheduler('stopped', 'leader')).toThrow(/illegal/);
    expect(() => transitionScheduler('leader', 'leader')).toThrow(/illegal/);
  });

  it('makes a single process on SQLite leader at once and stops its duties on stop', async () => {
    const { duties, record } = recordingDuties();
    const election = await startLeaderElection({ lock: alwaysLeaderLock(), duties, logger, retryMs: RETRY_MS });
    expect(election.state()).toBe('leader');
    expect(record).toEqual({ starts: 1, stops: 0, running: true });
    await election.stop();
    expect(election.state()).toBe('stopped');
    expect(record.running).toBe(false);
  });
});

describe('leader election on a PostgreSQL advisory lock', () => {
  let pg: Awaited<ReturnType<typeof startPostgres>>;
  let url: string;
  const elections: LeaderElection[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });
  afterEach(async () => {
    for (const e of elections.splice(0)) await e.stop();
  });

  async function replicas(count: number) {
    url = await pg.createDatabase();
    const started = [];
    for (let i = 0; i < count; i++) {
      const { duties, record } = recordingDuties();
      const election = await startLeaderElection({
        lock: createPgAdvisoryLock({ url, logger }),
        duties,
        logger,
        retryMs: RETRY_MS,
      });
      elections.push(election);
      started.push({ election, record });
    }
    return started;
  }
  const leaders = (rs: { election: LeaderElection }[]) => rs.filter((r) => r.election.state() === 'leader');
  const lockHolders = async () =>
    (
      await pg.query<{ pid: number }>(
        "select pid from pg_locks where locktype = 'advisory' and granted and objid = $1",
        [SCHEDULER_LOCK_KEY],
      )
    ).map((r) => r.pid);

  it('elects exactly one leader among three replicas, and only the leader runs the duties', async () => {
    const rs = await replicas(3);
    // Give every follower several retries to (wrongly) take the lock too.
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS * 5));
    expect(leaders(rs)).toHaveLength(1);
    expect(rs.filter((r) => r.record.running)).toHaveLength(1);
    expect(rs[0]?.election.state()).toBe('leader');
    expect(await lockHolders()).toHaveLength(1);
  });

  it('hands leadership to a follower when the leader stops', async () => {
    const rs = await replicas(2);
    const [first, second] = rs;
    expect(first?.election.state()).toBe('leader');
    await first?.election.stop();
    expect(first?.record.running).toBe(false);
    await vi.waitFor(() => expect(second?.election.state()).toBe('leader'), { timeout: 10_000 });
    expect(second?.record).toMatchObject({ starts: 1, running: true });
  });

  it("moves leadership when the leader's lock connection is terminated, never two leaders at once", async () => {
    const rs = await replicas(2);
    const [first] = rs;
    const seen: number[] = [];
    for (const r of rs) r.election.onChange(() => seen.push(leaders(rs).length));
    const holders = await lockHolders();
    expect(holders).toHaveLength(1);
    await pg.terminateBackends(holders);
    await vi.waitFor(() => expect(first?.record.stops).toBe(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(rs.reduce((n, r) => n + r.election.terms(), 0)).toBe(2), { timeout: 10_000 });
    expect(leaders(rs)).toHaveLength(1);
    expect(Math.max(...seen)).toBeLessThanOrEqual(1);
    const [holder] = await lockHolders();
    expect(holder).not.toBe(holders[0]);
  });
});
