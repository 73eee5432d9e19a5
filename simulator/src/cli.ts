/**
 * The `edgefleet-sim` command.
 *   `edgefleet-sim run <scenario.yaml|json>` rehearses a rollout on a virtual fleet (run/run-scenario.ts):
 *   a progress bar on stderr, the report as JSON + HTML (scenario "out", default bench-results/sim-<name>).
 *   `edgefleet-sim fl <experiment.yaml|json>` runs a federated experiment on a simulated fleet of real
 *   agents (fl/run-experiment.ts), one line per round on stderr and the JSON result.
 * Exit codes: 0 the run completed, 1 it failed or crashed, 2 bad usage or an invalid file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SimulatorError } from './errors.js';
import { ExperimentFileError, loadExperiment } from './fl/experiment-config.js';
import { runExperiment } from './fl/run-experiment.js';
import { createProgressBar } from './report/progress-bar.js';
import { writeReport } from './report/write-report.js';
import { runScenario } from './run/run-scenario.js';
import { loadScenario } from './scenario/load-scenario.js';

const USAGE = `usage: edgefleet-sim run <scenario.yaml|json>
       edgefleet-sim fl <experiment.yaml|json>

  run  Rehearses a rollout on a virtual fleet of real agents against an embedded control plane, on a
       virtual clock, with the scenario's network, hardware, faults and drift (simulator/scenarios/*.yaml),
       for the built-in iris models or your own model file fed by an image, audio or tensor generator
       (docs/simulator.md). Writes the report as JSON and HTML (scenario "out", default
       bench-results/sim-<name>.{json,html}).
  fl   Runs a federated training job on a simulated fleet (simulator/scenarios/fl-*.yaml). Writes the
       result as JSON (experiment "out", default bench-results/<name>.json).`;

async function run(file: string): Promise<number> {
  const scenario = await loadScenario(file);
  const bar = createProgressBar();
  const { report, cost } = await runScenario(scenario, {
    onProgress: (phase, done, total) => bar.update(phase, done, total),
  });
  bar.done();
  const written = await writeReport(report, resolve(scenario.out ?? `bench-results/sim-${scenario.name}`));
  console.error(
    `[${scenario.name}] rollout ${report.rollout.state}${report.rollout.reason === null ? '' : ` (${report.rollout.reason})`}; ` +
      `${report.devices} devices, ${(cost.wallMs / 1000).toFixed(1)} s wall, peak RSS ${Math.round(cost.peakRssBytes / 2 ** 20)} MiB → ${written.html}`,
  );
  // Measured on this host (one shared session per model), so printed here rather than written to the report.
  for (const [cohort, versions] of Object.entries(cost.latency)) {
    const parts = Object.entries(versions).map(
      ([v, l]) => `v${v} p50 ${l.p50Ms ?? '-'} ms, p95 ${l.p95Ms ?? '-'} ms over ${l.calls} calls`,
    );
    if (parts.length > 0) console.error(`[${scenario.name}] ${cohort} inference on this host: ${parts.join('; ')}`);
  }
  return 0;
}

async function fl(file: string): Promise<number> {
  let experiment: Awaited<ReturnType<typeof loadExperiment>>;
  try {
    experiment = await loadExperiment(file);
  } catch (error) {
    if (error instanceof ExperimentFileError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const result = await runExperiment(experiment, {
    onStatus: (line) => console.error(`[${experiment.name}] ${line}`),
    onProgress: (p) =>
      console.error(
        `[${experiment.name}] round ${p.round}/${p.rounds}  accuracy ${p.accuracy.toFixed(4)}  clients ${p.participants}  ${(p.elapsedMs / 1000).toFixed(1)} s`,
      ),
  });
  const out = resolve(experiment.out ?? `bench-results/${experiment.name}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.error(
    `[${experiment.name}] ${result.state}: best accuracy ${result.bestAccuracy?.toFixed(4) ?? '-'}, registered v${result.registeredVersion ?? '-'} → ${out}`,
  );
  return result.state === 'completed' ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, file] = argv;
  if (command === '--help' || command === '-h' || command === 'help' || file === '--help' || file === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (file === undefined || (command !== 'fl' && command !== 'run')) {
    console.error(USAGE);
    return 2;
  }
  try {
    return command === 'run' ? await run(file) : await fl(file);
  } catch (error) {
    if (error instanceof SimulatorError) {
      console.error(`edgefleet-sim: ${error.message}`);
      return error.code === 'RUN_FAILED' ? 1 : 2;
    }
    throw error;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
