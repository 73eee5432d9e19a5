/**
 * The scenario of the scale benchmark: `devices` virtual devices in two cohorts on a good network, a
 * healthy candidate through a 3-wave rollout (10 / 50 / 100 %) with the install-failure gate, traffic and
 * telemetry at fleet-realistic intervals (predictions every hour, 60 min windows) over 5 virtual hours.
 */
import { parseScenario } from '../src/scenario/load-scenario.js';
import type { Scenario } from '../src/scenario/scenario-schema.js';

export function scaleScenario(devices: number, seed = 1): Scenario {
  const half = Math.floor(devices / 2);
  return parseScenario({
    name: `scale-${devices}`,
    seed,
    durationMin: 300,
    sampleEveryMin: 30,
    hardwareProfiles: { pi4: { memoryMb: 2048 } },
    networkProfiles: { lan: { latencyMs: 20, jitterMs: 10 } },
    fleet: {
      cohorts: [
        { name: 'east', devices: half, hardware: 'pi4', network: 'lan' },
        { name: 'west', devices: devices - half, hardware: 'pi4', network: 'lan' },
      ],
    },
    models: { champion: { seed: 1 }, candidate: { seed: 2 } },
    traffic: { everyMin: 60, rows: 10 },
    telemetry: { windowMin: 60 },
    drift: { windowMin: 60, minRows: 200 },
    rollout: {
      atMin: 60,
      waves: [{ percent: 10 }, { percent: 50 }, { percent: 100 }],
      concurrency: 100_000,
      installTimeoutMin: 60,
      observationMin: 45,
      gates: { installFailureRate: 0.1 },
    },
  });
}
