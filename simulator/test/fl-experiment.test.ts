/**
 * The researcher's entry (`edgefleet-sim fl`): an experiment file is validated with the field at fault, and a
 * small experiment runs a real federated job on a simulated fleet of real agents and learns.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadExperiment, runExperiment } from '../src/index.js';

const BIN = new URL('../bin/edgefleet-sim.js', import.meta.url).pathname;
const SCENARIO = new URL('../scenarios/fl-iris-fedavg.yaml', import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-sim-'));
  dirs.push(dir);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('federated experiments on a simulated fleet', () => {
  it('runs the iris scenario through the coordinator and real agents, and the model learns', async () => {
    const experiment = await loadExperiment(SCENARIO);
    const rounds: number[] = [];
    const result = await runExperiment(
      { ...experiment, job: { ...experiment.job, rounds: 3 } },
      { onProgress: (p) => rounds.push(p.round) },
    );
    expect(result.state).toBe('completed');
    expect(rounds).toEqual([1, 2, 3]);
    expect(result.rounds.every((r) => r.metrics.participants === 6)).toBe(true);
    // Three classes: chance is 1/3.
    expect(result.bestAccuracy).toBeGreaterThan(0.7);
    expect(result.registeredVersion).toBe(1);
  });

  it('exits 2 and names the field of an invalid experiment file', () => {
    const path = tempFile('bad.yaml', 'name: bad\ndataset: cifar\nclients: 0\njob: {}\n');
    const run = spawnSync(process.execPath, [BIN, 'fl', path], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/dataset: Invalid option/);
    expect(run.stderr).toMatch(/clients: Too small/);
  });

  it('exits 2 with the usage on a missing argument', () => {
    const run = spawnSync(process.execPath, [BIN], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/usage: edgefleet-sim run [\s\S]*edgefleet-sim fl /);
  });
});
