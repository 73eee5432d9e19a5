/**
 * `pnpm bench:fl`: aggregating 1,000 updates × 100,000 parameters with every strategy
 * through the control plane's public `createStrategy`, against a raw baseline measured in the same run — a
 * plain Float32Array weighted-sum loop Σ (n_k/n)·Δ_k. Goals: FedAvg ≤ 3× raw, median ≤ 10× FedAvg.
 * Also the secure-aggregation server side: `unmaskAggregate` over the same 1,000 encoded updates without
 * dropouts (a modular sum + decode; its cost does not depend on the mask values, so the vectors carry no
 * masks here — masking 1,000 clients over a complete graph would cost 10^6 mask expansions), and a complete
 * masked round of 100 clients × 100,000 parameters in which 30 % drop after masking (client masking time,
 * recovery, unmask, and the error against the plain weighted mean). Medians of REPEATS interleaved runs.
 * Writes bench-results/fl-aggregation.json and prints it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClientUpdate, createStrategy, type StrategyConfig, weightedMeanDelta } from '@edgefleet/control-plane';
import { maskedUpdate, maxSafeScaleBits, unmaskAggregate } from '@edgefleet/protocol';
import { randomUpdates, secAggRound } from '@edgefleet/test-kit/fl-updates';

const UPDATES = Number(process.env.BENCH_FL_UPDATES ?? 1000);
const PARAMS = Number(process.env.BENCH_FL_PARAMS ?? 100_000);
const REPEATS = Number(process.env.BENCH_FL_REPEATS ?? 5);
const SECAGG_CLIENTS = 100;
const SECAGG_DROP_FRACTION = 0.3;

const STRATEGIES: readonly StrategyConfig[] = [
  { name: 'fedavg' },
  { name: 'fedprox', mu: 0.01 },
  { name: 'fedadam' },
  { name: 'median' },
  { name: 'trimmed-mean', trimFraction: 0.2 },
];

/** The raw baseline: the weighted sum written the obvious way, float32 in and out. */
function rawWeightedSum(global: Float32Array, updates: readonly ClientUpdate[]): Float32Array {
  let total = 0;
  for (const u of updates) total += u.sampleCount;
  const out = new Float32Array(global);
  for (const u of updates) {
    const w = u.sampleCount / total;
    const d = u.delta;
    for (let i = 0; i < out.length; i++) out[i]! += w * d[i]!;
  }
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function timed<T>(fn: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = fn();
  return { ms: performance.now() - start, result };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function aggregationBench(updates: readonly ClientUpdate[], global: Float32Array) {
  const scaleBits = maxSafeScaleBits({ maxTotalSamples: UPDATES * 100, clipAbs: 1 });
  // Encoded but unmasked: the server's no-dropout cost is the same whatever the mask words are.
  const masked = new Map(
    updates.map((u) => [
      u.deviceId,
      maskedUpdate({
        roundId: 'bench',
        selfId: u.deviceId,
        secretKey: new Uint8Array(32),
        peers: [],
        delta: u.delta,
        sampleCount: u.sampleCount,
        scaleBits,
      }),
    ]),
  );
  const unmask = {
    masked,
    sampleCounts: new Map(updates.map((u) => [u.deviceId, u.sampleCount])),
    dropped: [],
    revealed: [],
    scaleBits,
    length: PARAMS,
  };
  const samples = new Map<string, number[]>([
    ['raw', []],
    ['secagg-unmask', []],
  ]);
  for (const config of STRATEGIES) samples.set(config.name, []);
  let sink = 0;
  for (let r = 0; r < REPEATS + 1; r++) {
    const record = (label: string, ms: number, out: Float32Array) => {
      sink += out[r]!;
      if (r > 0) samples.get(label)!.push(ms); // run 0 is warm-up
    };
    const raw = timed(() => rawWeightedSum(global, updates));
    record('raw', raw.ms, raw.result);
    for (const config of STRATEGIES) {
      const strategy = createStrategy(config);
      const run = timed(() => strategy.aggregate(global, updates));
      record(config.name, run.ms, run.result);
    }
    const secure = timed(() => unmaskAggregate(unmask));
    record('secagg-unmask', secure.ms, secure.result);
  }
  const rawMs = median(samples.get('raw')!);
  const fedavgMs = median(samples.get('fedavg')!);
  const results = [...samples].map(([label, ms]) => ({
    label,
    p50Ms: round(median(ms)),
    runsMs: ms.map((x) => round(x)),
    ratioToRaw: round(median(ms) / rawMs, 2),
    ratioToFedAvg: round(median(ms) / fedavgMs, 2),
  }));
  const check = maxAbsDiff(unmaskAggregate(unmask), weightedMeanDelta(updates));
  return {
    results,
    goals: {
      fedavgAtMost3xRaw: { ratio: round(fedavgMs / rawMs, 2), met: fedavgMs <= 3 * rawMs },
      medianAtMost10xFedAvg: {
        ratio: round(median(samples.get('median')!) / fedavgMs, 2),
        met: median(samples.get('median')!) <= 10 * fedavgMs,
      },
    },
    secAggScaleBits: scaleBits,
    secAggMaxAbsErrorVsWeightedMean: check,
    sink,
  };
}

function secureRoundBench() {
  const updates = randomUpdates({ count: SECAGG_CLIENTS, length: PARAMS, seed: 77 });
  const droppedIds = new Set(updates.slice(0, SECAGG_CLIENTS * SECAGG_DROP_FRACTION).map((u) => u.deviceId));
  const scaleBits = maxSafeScaleBits({ maxTotalSamples: SECAGG_CLIENTS * 100, clipAbs: 1 });
  const round0 = timed(() => secAggRound({ roundId: 'bench-secagg', updates, droppedIds, scaleBits }));
  const unmask = timed(() => unmaskAggregate(round0.result.unmask));
  const survivors = updates.filter((u) => !droppedIds.has(u.deviceId));
  const plain = timed(() => weightedMeanDelta(survivors));
  const survivorCount = survivors.length;
  return {
    clients: SECAGG_CLIENTS,
    parameters: PARAMS,
    droppedAfterMasking: droppedIds.size,
    scaleBits,
    clientMaskingMsPerClient: round(round0.ms / SECAGG_CLIENTS, 2),
    maskExpansionsPerClient: SECAGG_CLIENTS - 1,
    recoveryMaskExpansions: droppedIds.size * survivorCount,
    unmaskWithRecoveryMs: round(unmask.ms),
    plainWeightedMeanMs: round(plain.ms),
    maxAbsErrorVsWeightedMean: maxAbsDiff(unmask.result, plain.result),
  };
}

const started = performance.now();
const updates = randomUpdates({ count: UPDATES, length: PARAMS, seed: 1 });
const global = randomUpdates({ count: 1, length: PARAMS, seed: 2, stdDev: 0.1 })[0]!.delta;
const aggregation = aggregationBench(updates, global);
const rssAfterAggregationMb = Math.round(process.memoryUsage().rss / 2 ** 20);
const report = {
  benchmark: 'fl-aggregation',
  at: new Date().toISOString(),
  node: process.version,
  updates: UPDATES,
  parameters: PARAMS,
  repeats: REPEATS,
  updateDataMb: Math.round((UPDATES * PARAMS * 4) / 2 ** 20),
  rssMb: rssAfterAggregationMb,
  aggregation: { ...aggregation, sink: undefined },
  secureRound: secureRoundBench(),
  elapsedSec: 0,
};
report.elapsedSec = round((performance.now() - started) / 1000);
const dir = join(process.cwd(), '..', 'bench-results');
await mkdir(dir, { recursive: true });
await writeFile(join(dir, 'fl-aggregation.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
