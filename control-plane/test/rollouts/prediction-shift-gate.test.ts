import { describe, expect, it } from 'vitest';
import type { GateData } from '../../src/rollouts/gate-data.js';
import { evaluateGates, type GateInput } from '../../src/rollouts/gates.js';

/** Gate data with only drift windows: the prediction-shift gate reads nothing else. */
function driftOnly(byDevice: Record<string, { version: number; bins: number[] }[]>): GateData {
  return {
    inference: () => [],
    shadow: () => [],
    installFailures: () => [],
    drift: (q: { version: number; devices: ReadonlySet<string> }) =>
      Object.entries(byDevice).flatMap(([deviceId, windows]) =>
        q.devices.has(deviceId)
          ? windows
              .filter((w) => w.version === q.version)
              .map((w) => ({ deviceId, sketch: { output: { bins: w.bins } } }))
          : [],
      ),
  } as unknown as GateData;
}

const input = (over: Partial<GateInput>): GateInput => ({
  line: 'iris',
  version: 2,
  championVersion: 1,
  mode: 'live',
  sinceMs: 0,
  waveDevices: new Set(['w1']),
  championDevices: new Set(['c1']),
  championReferenceClasses: [100, 100, 100],
  comparedOutput: { version: 'probabilities', champion: 'probabilities' },
  profileOutput: { version: 'probabilities', champion: 'probabilities' },
  installed: 1,
  failed: 0,
  offline: 0,
  ...over,
});

describe('prediction-shift gate baseline', () => {
  it('compares the wave with the champion devices when they have data', async () => {
    const data = driftOnly({ w1: [{ version: 2, bins: [50, 0, 50] }], c1: [{ version: 1, bins: [50, 50, 0] }] });
    const [result] = await evaluateGates({ gates: { predictionShiftPsi: 0.2 }, input: input({}), data });
    expect(result).toMatchObject({
      outcome: 'failed',
      detail: { baseline: 'champion devices', championHistogram: [50, 50, 0] },
    });
  });

  it("falls back to the champion's reference profile when no champion device is left (last wave)", async () => {
    const data = driftOnly({ w1: [{ version: 2, bins: [33, 34, 33] }] });
    const [result] = await evaluateGates({
      gates: { predictionShiftPsi: 0.2 },
      input: input({ championDevices: new Set() }),
      data,
    });
    // PSI([1/3]*3, [.33,.34,.33]) is tiny: hand check (0.34−1/3)·ln(0.34·3) + 2·(0.33−1/3)·ln(0.33·3) ≈ 2.0e-4
    expect(result?.outcome).toBe('passed');
    expect(result?.value).toBeCloseTo(2.0e-4, 4);
    expect(result?.detail).toMatchObject({
      baseline: 'champion reference profile',
      championHistogram: [100, 100, 100],
    });
  });

  it('is skipped, not failed, when there is no baseline at all', async () => {
    const data = driftOnly({ w1: [{ version: 2, bins: [1, 2, 3] }] });
    const [result] = await evaluateGates({
      gates: { predictionShiftPsi: 0.2 },
      input: input({ championDevices: new Set(), championReferenceClasses: null }),
      data,
    });
    expect(result).toMatchObject({ outcome: 'skipped', passed: true, value: null });
  });

  it('is skipped with the reason when the new version profiles another output than the compared one', async () => {
    const data = driftOnly({ w1: [{ version: 2, bins: [50, 0, 50] }], c1: [{ version: 1, bins: [50, 50, 0] }] });
    const [result] = await evaluateGates({
      gates: { predictionShiftPsi: 0.2 },
      input: input({
        compare: { output: 'embedding', mode: 'argmax' },
        comparedOutput: { version: 'embedding', champion: 'embedding' },
      }),
      data,
    });
    expect(result).toMatchObject({
      outcome: 'skipped',
      value: null,
      detail: {
        output: 'embedding',
        reason: "v2's drift profile counts the classes of probabilities, not of embedding",
      },
    });
  });

  it('leaves out a champion whose profile counts another output, and falls back to no baseline', async () => {
    const data = driftOnly({ w1: [{ version: 2, bins: [50, 0, 50] }], c1: [{ version: 1, bins: [50, 50, 0] }] });
    const [result] = await evaluateGates({
      gates: { predictionShiftPsi: 0.2 },
      input: input({ profileOutput: { version: 'probabilities', champion: 'scores' } }),
      data,
    });
    expect(result).toMatchObject({ outcome: 'skipped', detail: { output: 'probabilities', championHistogram: null } });
  });
});
