/**
 * The `edgefleet-sim` command. `edgefleet-sim fl <experiment.yaml>` runs a federated experiment on a
 * simulated fleet of real agents (run-experiment.ts), prints one line per round on stderr and writes the
 * JSON result. Exit codes: 0 the job completed, 1 it failed or crashed, 2 bad usage or an invalid file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ExperimentFileError, loadExperiment } from './fl/experiment-config.js';
import { runExperiment } from './fl/run-experiment.js';

const USAGE = `usage: edgefleet-sim fl <experiment.yaml|json>

  Runs a federated training job on a simulated fleet: an embedded control plane and one real agent per
  client in this process, the training set partitioned over them. See simulator/scenarios/*.yaml.
  Writes the result as JSON (experiment "out", default bench-results/<name>.json).`;

async function main(argv: string[]): Promise<number> {
  const [command, file] = argv;
  if (command !== 'fl' || file === undefined) {
    console.error(USAGE);
    return 2;
  }
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
