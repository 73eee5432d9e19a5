/**
 * `pnpm bench` (rollout part): orchestrator tick cost and install-event ingest cost per device with 1,000 and
 * 10,000 devices in one rollout, each beside a raw baseline from the same run; writes
 * bench-results/rollouts.json. Takes a few minutes (creating a 10k-device rollout signs 10k documents).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runRolloutBench } from './rollout-orchestrator.js';

const report = {
  benchmark: 'rollouts',
  at: new Date().toISOString(),
  node: process.version,
  ...(await runRolloutBench()),
};
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'rollouts.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
