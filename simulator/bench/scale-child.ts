/**
 * One measurement of the scale benchmark in a fresh process (so peak RSS is this run's alone):
 * `scale-child.ts sim <devices>` runs the scale scenario and prints its cost and outcome as JSON;
 * `scale-child.ts baseline <clients> <up> <down> <bytes>` runs the bare MQTT baseline.
 */

import { runScenario } from '../src/run/run-scenario.js';
import { runBaseline } from './mqtt-baseline.js';
import { scaleScenario } from './scale-scenario.js';

const [mode, ...args] = process.argv.slice(2);
const numbers = args.map(Number);
if (mode === 'sim') {
  const devices = numbers[0] as number;
  let enrolled = 0;
  const { report, cost } = await runScenario(scaleScenario(devices), {
    onProgress: (phase, done, total) => {
      if (phase === 'enrol') enrolled = done;
      if (done === total) console.error(`[${devices}] ${phase} done at ${(performance.now() / 1000).toFixed(1)} s`);
    },
  });
  console.log(
    JSON.stringify({
      devices,
      enrolled,
      rollout: report.rollout.state,
      waves: report.rollout.waves.map((w) => ({ devices: w.devices, state: w.state })),
      byVersion: report.final.byVersion,
      ...cost,
    }),
  );
} else if (mode === 'baseline') {
  const [clients, up, down, bytes] = numbers as [number, number, number, number];
  console.log(
    JSON.stringify(await runBaseline({ clients, upPerClient: up, downPerClient: down, bytesPerMessage: bytes })),
  );
} else {
  console.error('usage: scale-child.ts sim <devices> | baseline <clients> <up> <down> <bytes>');
  process.exit(2);
}
process.exit(0);
