import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../src/index.js';
import { runKillTrials } from '../src/kill-trials.js';
import { fleetKeys } from './attack-kit.js';

describe('kill -9 of the agent process during fetch and install', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  // 10 seeded trials here (~4 s each: a real process restart); `pnpm soak:kill` runs 240 more with other seeds.
  it('always restarts on a verified, loadable model, never a half-written slot, and converges (10 trials)', async () => {
    const keys = fleetKeys();
    fleet = await startFleet({ controlPlane: { keys, rollouts: { tickMs: 50 } } });
    const report = await runKillTrials({ fleet, keys, trials: 10, seed: 9 });
    expect(report.results.filter((r) => r.error !== undefined)).toEqual([]);
    expect(report.failures).toBe(0);
    // The kill moments must actually cover the update: some mid-fetch, some later.
    expect(report.phases['mid-fetch']).toBeGreaterThan(0);
    expect(report.phases['after-install'] + report.phases['verify-install']).toBeGreaterThan(0);
  }, 300_000);
});
