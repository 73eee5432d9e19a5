/**
 * `pnpm bench`: inference-path benchmarks, each against a raw baseline measured in the same run.
 *  1. the agent's inference paths — agent.predict (rows in/out) and agent.predictTensor (Float32Array in/out) —
 *     vs raw InferenceSession.run on the same model bytes, session options and input, for three model sizes;
 *     goal p50 ratio ≤ 1.10. Both include validation, model pinning and telemetry recording.
 *  2. int8 vs fp32 raw latency on the same architecture.
 * Writes bench-results/inference.json (machine-readable) and prints it. Timings here are noisy: read ratios.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIrisModels } from '@edgefleet/test-kit/models';
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
      { line: 'iris-512', models: buildIrisModels({ seed: 1, hidden: 512, epochs: 200 }) },
      // Only its size matters (compute per call), so it trains briefly.
      { line: 'mlp-4096', models: buildIrisModels({ seed: 1, hidden: 4096, epochs: 5 }) },
      // ~0.25 M multiply-adds per row: enough compute that onnxruntime's fixed per-call cost no longer dominates.
      { line: 'mlp-32k', models: buildIrisModels({ seed: 1, hidden: 32_768, epochs: 2 }) },
    ];
    for (const { line, models } of cases) {
      const row = [models.meta.testSet.features[0]!];
      const reg = await registerModel(fleet.api, { line, model: models.fp32, sampleInputs: models.meta.sampleInputs });
      await rolloutAndWait(fleet, { line, version: reg.version, timeoutMs: 60_000 });
      const raw = await rawRunner(models.fp32, row);
      const tensor = { data: Float32Array.from(row.flat()), shape: [1, row[0]!.length] };
      const paths = [
        ['agent.predict', () => agent.predict(line, row)],
        ['agent.predictTensor', () => agent.predictTensor(line, tensor)],
      ] as const;
      for (const [label, fn] of paths) {
        const s = await interleave(raw.run, fn, OPTIONS);
        results.push(
          compare(
            `${line}: ${label} vs raw InferenceSession.run (batch 1, ${models.fp32.length} B model)`,
            { label: 'raw InferenceSession.run', samplesMs: s.a },
            { label, samplesMs: s.b },
            1.1,
          ),
        );
      }
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
