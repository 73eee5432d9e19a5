/**
 * Child process of the footprint bench (run with --expose-gc): memory growth over many inferences, after a
 * full GC before and after, for raw onnxruntime `session.run` (the baseline) and for the agent's
 * `predict` (rows) and `predictTensor` paths on the same iris model. Prints one JSON object on stdout.
 */
import { buildIrisModels } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import { registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const INFERENCES = Number(process.env.FOOTPRINT_INFERENCES ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function settled(): { rssMb: number; heapUsedMb: number; externalMb: number } {
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  const mb = (b: number) => Math.round((b / 1024 / 1024) * 100) / 100;
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external) };
}

async function growth(label: string, run: () => Promise<unknown>) {
  // Warm-up: JIT, onnxruntime's arena and the first telemetry window settle before the measurement.
  for (let i = 0; i < 2000; i++) await run();
  const before = settled();
  for (let i = 0; i < INFERENCES; i++) await run();
  const after = settled();
  return {
    label,
    inferences: INFERENCES,
    before,
    after,
    rssGrowthMb: Math.round((after.rssMb - before.rssMb) * 100) / 100,
    heapGrowthMb: Math.round((after.heapUsedMb - before.heapUsedMb) * 100) / 100,
  };
}

const iris = buildIrisModels();
const row = [iris.meta.testSet.features[0] as number[]];
const fleet = await startFleet({ agents: 1 });
try {
  await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
  await rolloutAndWait(fleet, { line: 'iris', version: 1 });
  const agent = fleet.agents[0] as NonNullable<(typeof fleet.agents)[0]>;
  const session = await ort.InferenceSession.create(iris.fp32, { intraOpNumThreads: 1 });
  const data = Float32Array.from(row.flat());
  const results = [
    await growth('raw InferenceSession.run', () => session.run({ features: new ort.Tensor('float32', data, [1, 4]) })),
    await growth('agent.predict', () => agent.predict('iris', row)),
    await growth('agent.predictTensor', () => agent.predictTensor('iris', { data, shape: [1, 4] })),
  ];
  await session.release();
  process.stdout.write(`${JSON.stringify(results)}\n`);
} finally {
  await fleet.close();
}
