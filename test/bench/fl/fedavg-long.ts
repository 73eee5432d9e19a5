/**
 * `pnpm bench:fl-mnist-long`: the FedAvg E=5, B=10 IID run of the MNIST reproduction continued to 400 rounds
 * (same seed, partition and learning rate as bench:fl-mnist), stopping once it reaches 99 % of the
 * centralized baseline recorded in bench-results/fl-mnist.json. Writes bench-results/fl-mnist-long.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createMlpTrainer } from '@edgefleet/agent';
import { iidPartition, mnistSplit, selectRows } from '@edgefleet/test/datasets';
import { runFederated, weightedMeanAggregate } from '../../src/index.js';

const DIR = new URL('../../../bench-results/', import.meta.url);
const ROUNDS = Number(process.env.FL_LONG_ROUNDS ?? 400);
const spec = { kind: 'mlp' as const, layers: [784, 200, 200, 10], activation: 'relu' as const };
const baseline = JSON.parse(await readFile(new URL('fl-mnist.json', DIR), 'utf8')) as {
  centralized: { bestAccuracy: number };
};
const target = 0.99 * baseline.centralized.bestAccuracy;
const started = performance.now();
const { train, test } = mnistSplit();
const trainer = await createMlpTrainer({ spec, backend: 'wasm', fallbackToCpu: false });
const clients = iidPartition({ n: train.n, clients: 100, seed: 1 }).map((rows) => selectRows(train, rows));
const run = await runFederated({
  trainer,
  clients,
  test,
  seed: 1,
  aggregate: weightedMeanAggregate,
  rounds: ROUNDS,
  clientFraction: 0.1,
  epochs: 5,
  batchSize: 10,
  lr: 0.1,
  stopAtAccuracy: target,
  onRound: (p) =>
    process.stderr.write(`[fl-mnist-long] round ${p.round}: ${p.accuracy.toFixed(4)} (target ${target.toFixed(4)})\n`),
});
const best = run.curve.reduce((b, p) => (p.accuracy > b.accuracy ? p : b));
const result = {
  generatedAt: new Date().toISOString(),
  setting: { epochs: 5, batchSize: 10, lr: 0.1, clients: 100, clientFraction: 0.1, seed: 1, maxRounds: ROUNDS },
  centralizedBest: baseline.centralized.bestAccuracy,
  target,
  reachedAtRound: run.curve.find((p) => p.accuracy >= target)?.round ?? null,
  best,
  ratioToCentralized: best.accuracy / baseline.centralized.bestAccuracy,
  elapsedMs: Math.round(performance.now() - started),
  curve: run.curve,
};
await mkdir(DIR, { recursive: true });
await writeFile(new URL('fl-mnist-long.json', DIR), `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${JSON.stringify({ ...result, curve: undefined })}\n`);
trainer.dispose();
