import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../src/report/html-report.js';
import type { SimulationReport } from '../src/report/report-types.js';
import { runScenario } from '../src/run/run-scenario.js';
import { loadScenario, parseScenario } from '../src/scenario/load-scenario.js';
import { MODEL_FILES, MODEL_PACKAGES_DIR } from './fixtures/model-packages.js';

/**
 * Rehearsals of a field engineer's own model files, end to end (real agents, the real control plane, the
 * virtual network and clock): the shipped image-model scenario with PaddleOCR's CNN fed seeded images, and
 * silero VAD — a stateful model — fed one seeded audio stream per device.
 */
const IMAGE_SCENARIO = fileURLToPath(new URL('../scenarios/image-model.yaml', import.meta.url));

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** A cohort's per-sample values from minute `fromMin` on. */
function series(
  report: SimulationReport,
  cohort: string,
  fromMin: number,
  pick: (s: SimulationReport['samples'][number]['cohorts'][string]) => number | null,
) {
  return report.samples
    .filter((s) => s.atMin >= fromMin)
    .map((s) => s.cohorts[cohort])
    .flatMap((c) => (c === undefined ? [] : [pick(c)]))
    .filter((v): v is number => v !== null);
}

describe('rehearsals of a model file', () => {
  it('rolls the image CNN out in three waves, and the report lists served calls per cohort, champion vs candidate', async () => {
    const { report } = await runScenario(await loadScenario(IMAGE_SCENARIO, { cwd: MODEL_PACKAGES_DIR }));
    expect(report.model).toMatchObject({ line: 'text-direction', kind: 'file', output: 'softmax_0.tmp_0' });
    expect(report.model.inputs.map((t) => t.name)).toEqual(['x']);
    expect(report.rollout.state).toBe('completed');
    expect(report.rollout.waves.map((w) => w.state)).toEqual(['passed', 'passed', 'passed']);
    expect(report.final.byVersion).toEqual({ [String(report.models.candidate)]: report.devices });
    expect(report.final.notOnRegisteredBundle).toBe(0);

    expect(report.traffic.map((c) => c.cohort)).toEqual(['office', 'dock']);
    for (const cohort of report.traffic) {
      const champion = cohort.byVersion[String(report.models.champion)];
      const candidate = cohort.byVersion[String(report.models.candidate)];
      expect(champion?.served).toBeGreaterThan(0);
      expect(candidate?.served).toBeGreaterThan(0);
      expect(candidate?.errors).toEqual({});
      // A 2-class classifier: the argmax shares of its softmax output.
      expect(Object.keys(candidate?.classShare ?? {})).toEqual(['0', '1']);
      expect(candidate?.meanScore).toBeNull();
    }
    // Every sample interval after the champion is installed serves every tick's calls (15 devices × 4 calls
    // every 5 min, 10 min per sample).
    expect(series(report, 'office', 20, (c) => c.served).every((n) => n === 120)).toBe(true);
    // The dock's cameras see night-time images from minute 90: their answers move, the office's do not.
    const share = (cohort: string) => mean(series(report, cohort, 100, (c) => c.classShare?.['1'] ?? null));
    expect(share('office') - share('dock')).toBeGreaterThan(0.1);
    expect(report.samples.every((s) => s.cohorts.dock?.driftLevel === 'no-profile')).toBe(true);

    const html = renderHtmlReport(report);
    expect(html).toContain('id="traffic-table"');
    expect([...html.matchAll(/<svg[^>]* id="([a-z]+)"/g)].map((m) => m[1])).toEqual([
      'versions',
      'waves',
      'failures',
      'served',
      'answers',
      'lag',
    ]);
  }, 60_000);

  it('feeds silero VAD one audio stream per device, and a gain drift lowers its speech score', async () => {
    const audio = (drift?: { atMin: number; gain: number }) => ({
      generator: 'audio',
      input: 'input',
      frameSamples: 512,
      sampleRate: 16_000,
      extra: { sr: { dtype: 'int64', value: 16_000 } },
      stream: true,
      ...(drift === undefined ? {} : { drift }),
    });
    const vad = {
      file: MODEL_FILES.sileroVad(),
      line: 'vad',
      state: [
        { input: 'h', output: 'hn' },
        { input: 'c', output: 'cn' },
      ],
    };
    const scenario = parseScenario({
      name: 'vad',
      seed: 4,
      durationMin: 120,
      sampleEveryMin: 10,
      hardwareProfiles: { pi4: {} },
      networkProfiles: { lan: { latencyMs: 10, jitterMs: 5 } },
      fleet: {
        cohorts: [
          { name: 'lobby', devices: 6, hardware: 'pi4', network: 'lan', data: audio() },
          { name: 'hall', devices: 6, hardware: 'pi4', network: 'lan', data: audio({ atMin: 60, gain: 0.1 }) },
        ],
      },
      models: { champion: vad, candidate: vad },
      traffic: { everyMin: 2, calls: 8 },
      rollout: { atMin: 20, waves: [{ percent: 50 }, { percent: 100 }], observationMin: 10 },
    });
    const { report } = await runScenario(scenario);
    expect(report.rollout.state).toBe('completed');
    expect(report.final.byVersion).toEqual({ [String(report.models.candidate)]: 12 });
    for (const cohort of report.traffic) {
      // Each device continues its own stream (its id): as many streams as devices, and no call refused.
      expect(cohort.streams).toBe(6);
      for (const totals of Object.values(cohort.byVersion)) {
        expect(totals.errors).toEqual({});
        expect(totals.classShare).toBeNull();
        expect(totals.meanScore).toBeGreaterThan(0);
      }
    }
    const score = (cohort: string, fromMin: number, toMin: number) =>
      mean(series(report, cohort, fromMin, (c) => c.meanScore).slice(0, Math.round((toMin - fromMin) / 10)));
    expect(score('hall', 70, 120)).toBeLessThan(score('lobby', 70, 120) / 2);
    expect(score('hall', 20, 60)).toBeGreaterThan(score('hall', 70, 120) * 2);
  }, 60_000);
});
