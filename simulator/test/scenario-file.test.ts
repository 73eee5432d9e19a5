import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SimulatorError } from '../src/errors.js';
import { loadScenario, parseScenario } from '../src/scenario/load-scenario.js';
import { MODEL_PACKAGES_DIR } from './fixtures/model-packages.js';

const SCENARIOS = fileURLToPath(new URL('../scenarios/', import.meta.url));

const minimal = () => ({
  name: 'tiny',
  durationMin: 60,
  hardwareProfiles: { pi4: {} },
  networkProfiles: { lan: {} },
  fleet: { cohorts: [{ name: 'a', devices: 2, hardware: 'pi4', network: 'lan' }] },
  models: { champion: { seed: 1 }, candidate: { seed: 2 } },
  rollout: { waves: [{ percent: 100 }] },
});

function problem(value: unknown): string {
  try {
    parseScenario(value, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(SimulatorError);
    expect((error as SimulatorError).code).toBe('SCENARIO_INVALID');
    return (error as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files', () => {
  it('loads every shipped rollout scenario', async () => {
    const files = (await readdir(SCENARIOS)).filter((f) => f.endsWith('.yaml') && !f.startsWith('fl-'));
    expect(files.sort()).toEqual([
      'bad-model.yaml',
      'drift.yaml',
      'flaky-network.yaml',
      'fleet-10k.yaml',
      'image-model.yaml',
    ]);
    // image-model names its model file by npm package, installed for the workspace's test package.
    for (const file of files) {
      const loaded = await loadScenario(`${SCENARIOS}${file}`, { cwd: MODEL_PACKAGES_DIR });
      expect(loaded.name).toBe(file.replace('.yaml', ''));
    }
  });

  it('fills in defaults for a minimal scenario', () => {
    const scenario = parseScenario(minimal());
    expect(scenario.seed).toBe(1);
    expect(scenario.networkProfiles.lan).toMatchObject({ latencyMs: 30, loss: 0, outages: [] });
    expect(scenario.rollout).toMatchObject({ atMin: 10, onGateFailure: 'rollback' });
    // A cohort without `data` is fed iris rows, as the built-in iris models need.
    expect(scenario.fleet.cohorts[0]?.data).toEqual({ generator: 'iris' });
    expect(scenario.models.champion).toEqual({ kind: 'iris', seed: 1 });
    expect(scenario.traffic).toEqual({ everyMin: 5, rows: 20, calls: 1 });
  });

  it('refuses a generator for model files in front of the iris models', () => {
    const value = minimal();
    const cohort = { ...value.fleet.cohorts[0], data: { generator: 'tensor', inputs: { x: { dims: [1, 4] } } } };
    expect(problem({ ...value, fleet: { cohorts: [cohort] } })).toContain(
      'fleet.cohorts.0.data.generator: the built-in iris models take iris rows: "tensor" feeds a model file',
    );
  });

  it('names the field of a reference to an unknown profile', () => {
    const value = minimal();
    value.fleet.cohorts.push({ name: 'b', devices: 1, hardware: 'pi4', network: 'satellite' });
    expect(problem(value)).toContain('fleet.cohorts.1.network: unknown network profile "satellite" (known: lan)');
  });

  it('names the field of a value out of range and of an unknown key', () => {
    const value = { ...minimal(), networkProfiles: { lan: { loss: 1.5, latencyMS: 3 } } };
    const message = problem(value);
    expect(message).toContain('networkProfiles.lan.loss');
    expect(message).toContain('latencyMS');
  });

  it('refuses a plan whose last wave is not 100 %', () => {
    expect(problem({ ...minimal(), rollout: { waves: [{ percent: 50 }] } })).toContain(
      'rollout.waves: the last wave must be 100 %',
    );
  });

  it('reports an unreadable file and invalid YAML as SimulatorError', async () => {
    await expect(loadScenario('/nonexistent/scenario.yaml')).rejects.toMatchObject({ code: 'SCENARIO_UNREADABLE' });
  });
});
