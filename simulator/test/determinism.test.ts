import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/load-scenario.js';

/**
 * Same seed → byte-identical report; another seed → another report. Runs the `edgefleet-sim run` command
 * as a user would (its own process each time) on a shortened bad-model rehearsal: 12 devices on two network
 * profiles with jitter and loss, a rollout stopped by a gate and rolled back.
 */
const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/edgefleet-sim.js', import.meta.url));

describe('determinism', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-determinism-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function report(seed: number, name: string): Promise<string> {
    const base = await loadScenario(fileURLToPath(new URL('../scenarios/bad-model.yaml', import.meta.url)));
    const file = join(dir, `${name}.json`);
    const scenario = {
      ...base,
      seed,
      durationMin: 150,
      fleet: { cohorts: base.fleet.cohorts.map((c) => ({ ...c, devices: 6 })) },
      out: join(dir, `report-${name}`),
    };
    await writeFile(file, JSON.stringify(scenario));
    await run(process.execPath, [BIN, 'run', file], { timeout: 120_000 });
    return readFile(join(dir, `report-${name}.json`), 'utf8');
  }

  it('gives the identical report for the same seed, and a different one for another seed', async () => {
    const first = await report(7, 'a');
    const again = await report(7, 'b');
    const other = await report(8, 'c');
    expect(JSON.parse(first).rollout.state).toBe('rolled-back');
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  }, 240_000);
});
