/**
 * `pnpm soak:kill` — the long variant of the kill -9 suite: 240 trials (SOAK_TRIALS to change) in
 * batches of 40 on fresh fleets, each batch with its own seed, against a real agent process. Writes
 * bench-results/soak-kill.json (trials, failures, the phases the kills landed in, every failed trial) and
 * exits non-zero on any failure.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fleetKeys } from '../e2e/attack-kit.js';
import { startFleet } from '../src/index.js';
import { type KillPhase, runKillTrials, type TrialResult } from '../src/kill-trials.js';

const TRIALS = Number(process.env.SOAK_TRIALS ?? 240);
const BATCH = 40;

const phases: Record<KillPhase, number> = {
  'before-fetch': 0,
  'mid-fetch': 0,
  'verify-install': 0,
  'after-install': 0,
};
const failed: Array<TrialResult & { seed: number }> = [];
let done = 0;
const started = Date.now();
for (let batch = 0; done < TRIALS; batch++) {
  const seed = 1000 + batch;
  const keys = fleetKeys();
  const fleet = await startFleet({ controlPlane: { keys, rollouts: { tickMs: 50 } } });
  try {
    const report = await runKillTrials({
      fleet,
      keys,
      trials: Math.min(BATCH, TRIALS - done),
      seed,
      onTrial: (r) => {
        if (r.error !== undefined) console.error(`seed ${seed} trial ${r.trial}: ${r.error}`);
      },
    });
    for (const [phase, n] of Object.entries(report.phases)) phases[phase as KillPhase] += n;
    failed.push(...report.results.filter((r) => r.error !== undefined).map((r) => ({ ...r, seed })));
    done += report.trials;
    console.log(`${done}/${TRIALS} trials, ${failed.length} failures`);
  } finally {
    await fleet.close();
  }
}

const result = {
  benchmark: 'soak-kill',
  trials: done,
  failures: failed.length,
  phases,
  durationSec: Math.round((Date.now() - started) / 1000),
  failed,
};
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'soak-kill.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ ...result, failed: failed.length }, null, 2));
process.exit(failed.length === 0 ? 0 : 1);
