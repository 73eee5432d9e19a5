/**
 * `pnpm bench` (drift part): writes bench-results/drift.json with
 *  1. the labelled drift benchmark — streams with known change points drawn from real Seattle weather
 *     (abrupt, gradual, variance, categorical) and a no-drift control; for the on-device detectors (ADWIN,
 *     Page-Hinkley) and for the window-level sketch comparison per device and merged across a fleet:
 *     detection rate, delay, false alarms;
 *  2. the per-row cost of the on-device drift statistics vs raw inference (goal < 5 %);
 *  3. the control plane's merge-and-compare of 1,000 and 10,000 device windows vs a raw summing loop.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { scoreDetectors } from './drift/evaluate-detectors.js';
import { scoreDeviceWindows, scoreFleetWindows } from './drift/evaluate-windows.js';
import { makeStream, type StreamKind } from './drift/streams.js';
import { runDriftCostBench } from './drift-cost.js';
import { runDriftMergeBench } from './drift-merge.js';

const KINDS: readonly StreamKind[] = ['none', 'abrupt', 'gradual', 'variance', 'categorical'];
const STREAM = { length: 4000, changeAt: 2000, rampLength: 1000, referenceLength: 2000 };
const RUNS = 10;
const WINDOW_ROWS = 200;
const FLEET = 20;

function detection() {
  return KINDS.map((kind) => {
    const streams = Array.from({ length: RUNS }, (_, i) => makeStream(kind, { ...STREAM, seed: 1000 + i }));
    // The fleet shares one reference (the registered model's); each device draws its own rows.
    const fleet = Array.from({ length: FLEET }, (_, i) => makeStream(kind, { ...STREAM, seed: 5000 + i }));
    const reference = fleet[0]!.reference;
    const fleetStreams = fleet.map((s) => ({ ...s, reference }));
    return {
      kind,
      changeAt: kind === 'none' ? null : STREAM.changeAt,
      detectors: scoreDetectors(streams),
      deviceWindows: scoreDeviceWindows(streams, WINDOW_ROWS),
      fleetWindows: scoreFleetWindows(fleetStreams, WINDOW_ROWS),
    };
  });
}

const started = performance.now();
const report = {
  benchmark: 'drift',
  at: new Date().toISOString(),
  node: process.version,
  streams: {
    ...STREAM,
    runsPerKind: RUNS,
    windowRows: WINDOW_ROWS,
    fleetDevices: FLEET,
    data: 'vega-datasets seattle-weather.csv',
  },
  detection: detection(),
  statisticsCost: await runDriftCostBench(),
  controlPlaneMerge: await runDriftMergeBench(),
  elapsedSec: 0,
};
report.elapsedSec = Math.round((performance.now() - started) / 100) / 10;
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'drift.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
