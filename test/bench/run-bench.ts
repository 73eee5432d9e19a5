/**
 * `pnpm bench`: inference-path benchmarks, each against a raw baseline measured in the same run.
 *  1. agent.predict (validation, model lookup, telemetry recording) vs raw InferenceSession.run on the same
 *     model bytes, session options and input — goal p50 ratio ≤ 1.10 — for a tiny and a mid-size model;
 *  2. int8 vs fp32 raw latency on the same architecture.
 * Writes bench-results/inference.json (machine-readable) and prints it. Timings here are noisy: read ratios.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIrisModels } from '@edgefleet/test/models';
import * as ort from 'onnxruntime-node';
import { registerModel, rolloutAndWait, startFleet } from '../src/index.js';
import { type Comparison, compare, interleave } from './stats.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 3000);
const OPTIONS = { iterations: ITERATIONS, block: 50, warmup: 200 };
// Same session options as the agent's ONNX runtime, so the comparison isolates the agent's own overhead.
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
};

async function rawRunner(model: Uint8Array, rows: number[][]) {
  const session = await ort.InferenceSession.create(model, SESSION_OPTIONS);
  const data = Float32Array.from(rows.flat());
  const shape = [rows.length, rows[0]!.length];
  return {
    run: () => session.run({ features: new ort.Tensor('float32', data, shape) }),
    release: () => session.release(),
  };
}

async function main(): Promise<void> {
  const results: Comparison[] = [];
  const fleet = await startFleet({ agents: 1 });
  try {
    const agent = fleet.agents[0]!;
    const cases = [
      { line: 'iris-tiny', models: buildIrisModels({ seed: 1 }) },
      { line: 'iris-wide', models: buildIrisModels({ seed: 1, hidden: 512 }) },
    ];
    for (const { line, models } of cases) {
      const row = [models.meta.testSet.features[0]!];
      const reg = await registerModel(fleet.api, { line, model: models.fp32, sampleInputs: models.meta.sampleInputs });
      await rolloutAndWait(fleet, { line, version: reg.version, timeoutMs: 60_000 });
      const raw = await rawRunner(models.fp32, row);
      const s = await interleave(raw.run, () => agent.predict(line, row), OPTIONS);
      results.push(
        compare(
          `${line}: agent.predict vs raw InferenceSession.run (batch 1, ${models.fp32.length} B model)`,
          { label: 'raw InferenceSession.run', samplesMs: s.a },
          { label: 'agent.predict', samplesMs: s.b },
          1.1,
        ),
      );
      await raw.release();
      for (const batch of [1, 64]) {
        const rows = models.meta.testSet.features.concat(models.meta.testSet.features).slice(0, batch);
        const fp32 = await rawRunner(models.fp32, rows);
        const int8 = await rawRunner(models.int8, rows);
        const q = await interleave(fp32.run, int8.run, OPTIONS);
        results.push(
          compare(
            `${line}: int8 vs fp32 raw latency (batch ${batch})`,
            { label: 'fp32', samplesMs: q.a },
            { label: 'int8', samplesMs: q.b },
          ),
        );
        await fp32.release();
        await int8.release();
      }
    }
  } finally {
    await fleet.close();
  }
  const report = {
    benchmark: 'inference',
    at: new Date().toISOString(),
    node: process.version,
    ortVersion: ort.env.versions.common,
    iterations: ITERATIONS,
    results,
  };
  const dir = join(process.cwd(), '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'inference.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

await main();
