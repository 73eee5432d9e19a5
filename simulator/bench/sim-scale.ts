/**
 * The simulator's scale benchmark (`pnpm --filter @edgefleet/simulator bench:scale [sizes…]`, default
 * 1000 10000): for each fleet size, the scale scenario (a 3-wave rollout, bench/scale-scenario.ts) in a
 * fresh process, then the raw baseline in another — bare MQTT.js clients through the same in-memory streams
 * into a bare aedes, with the same per-device message counts as the simulation measured. Writes
 * bench-results/sim-scale.json: wall time, peak RSS, per-device cost, and the ratio to the baseline.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./scale-child.ts', import.meta.url));
const OUT = fileURLToPath(new URL('../../bench-results/sim-scale.json', import.meta.url));
// A larger young generation: the run allocates many short-lived buffers and promises (GC was ~10 % of
// the profile with the default 16 MiB semi-space). 128 MiB against 64 MiB, 5,000 devices, two runs each
// on the shared machine: rollout phase 32 / 36 s against 42 s (one 64 MiB run was disturbed), +100 MB RSS.
const NODE_ARGS = ['--import', 'tsx', '--max-semi-space-size=128'];

async function child(args: string[]): Promise<Record<string, unknown>> {
  const { stdout, stderr } = await run(process.execPath, [...NODE_ARGS, CHILD, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60 * 60_000,
  });
  if (stderr.trim() !== '') console.error(stderr.trim());
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
}

const GOAL_MS = 120_000;
const sizes = process.argv.slice(2).map(Number);
const results = [];
for (const devices of sizes.length > 0 ? sizes : [1000, 10_000]) {
  const sim = await child(['sim', String(devices)]);
  const up = Math.round((sim.messagesUp as number) / devices);
  const down = Math.round((sim.messagesDown as number) / devices);
  const baseline = await child(['baseline', String(devices), String(up), String(down), '200']);
  const entry = {
    devices,
    sim,
    baseline,
    perDevice: {
      wallMs: Math.round(((sim.wallMs as number) / devices) * 100) / 100,
      rssKiB: Math.round((sim.peakRssBytes as number) / devices / 1024),
    },
    ratioToBaseline: Math.round(((sim.wallMs as number) / (baseline.wallMs as number)) * 10) / 10,
    // The goal: 10,000 devices through the 3-wave rollout in < 2 min. `rolloutMs` is that part (from
    // the rehearsed rollout's start to its completion; `rolloutToEndMs` runs on to the scenario's end, the
    // steady state after it); `wallMs` adds enrolling, booting and first installing the champion on every
    // device, which the scenario does before the rollout.
    goalMs: GOAL_MS,
    rolloutWithinGoal: sim.rolloutMs !== null && (sim.rolloutMs as number) < GOAL_MS,
    wallWithinGoal: (sim.wallMs as number) < GOAL_MS,
  };
  console.error(JSON.stringify(entry));
  results.push(entry);
}
const growth =
  results.length >= 2
    ? {
        devices: `${results[0]?.devices} → ${results.at(-1)?.devices}`,
        wall:
          Math.round((((results.at(-1)?.sim.wallMs as number) ?? 0) / ((results[0]?.sim.wallMs as number) ?? 1)) * 10) /
          10,
        rss:
          Math.round(
            (((results.at(-1)?.sim.peakRssBytes as number) ?? 0) / ((results[0]?.sim.peakRssBytes as number) ?? 1)) *
              10,
          ) / 10,
      }
    : null;
const output = {
  benchmark: 'sim-scale',
  cpus: (await import('node:os')).cpus().length,
  node: process.version,
  results,
  growth,
};
await mkdir(new URL('../../bench-results/', import.meta.url), { recursive: true });
await writeFile(OUT, `${JSON.stringify(output, null, 2)}\n`);
console.log(JSON.stringify(output, null, 2));
