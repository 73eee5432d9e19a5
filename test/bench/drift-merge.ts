/**
 * Control-plane drift merge benchmark: merging 1,000 and 10,000 device windows of an
 * iris-shaped sketch (4 numeric features × 12 bins, 3 classes) and comparing the result with the reference
 * profile through the public control-plane API (`mergeAndCompare`: protocol mergeSketches + PSI/JS/KS),
 * against a raw baseline measured in the same run — a plain loop adding every window's bin arrays into one
 * Float64Array. Reports time per window for both, their ratio, and how flat the per-window cost is from 1k
 * to 10k windows (1.0 = perfectly linear). Run directly with `tsx test/bench/drift-merge.ts`.
 */
import { pathToFileURL } from 'node:url';
import { mergeAndCompare } from '@edgefleet/control-plane';
import { buildReferenceProfile, type DriftSketch, type ReferenceProfile, SketchAccumulator } from '@edgefleet/protocol';
import { irisDataset, mulberry32 } from '@edgefleet/test-kit/models';
import { summarize } from './stats.js';

const SIZES = [1_000, 10_000] as const;
const ROWS_PER_WINDOW = 20;
/** Repetitions per size, interleaved candidate/baseline so machine noise lands on both alike. */
const REPEATS = Number(process.env.BENCH_DRIFT_REPEATS ?? 15);

function irisProfile(): { profile: ReferenceProfile; rows: number[][]; outputs: number[][] } {
  const { features, labels } = irisDataset();
  // One-hot "probabilities" stand in for the model: the merge cost does not depend on where outputs came from.
  const outputs = labels.map((label) => [0, 1, 2].map((c) => (c === label ? 0.9 : 0.05)));
  return { profile: buildReferenceProfile({ rows: features, outputs }), rows: features, outputs };
}

function deviceWindows(count: number, fixture: ReturnType<typeof irisProfile>): DriftSketch[] {
  const random = mulberry32(count);
  const accumulator = new SketchAccumulator(fixture.profile);
  const inputs = new Float64Array(ROWS_PER_WINDOW * 4);
  const outputs = new Float64Array(ROWS_PER_WINDOW * 3);
  return Array.from({ length: count }, (_, i) => {
    accumulator.reset();
    for (let r = 0; r < ROWS_PER_WINDOW; r++) {
      const pick = Math.floor(random() * fixture.rows.length);
      inputs.set(fixture.rows[pick]!, r * 4);
      outputs.set(fixture.outputs[pick]!, r * 3);
    }
    accumulator.addRows(inputs, outputs, ROWS_PER_WINDOW);
    return accumulator.snapshot({ line: 'iris', version: 1, windowStartMs: i, windowEndMs: i + 60_000 });
  });
}

/** The raw baseline: sum every window's bins (features then output) into one flat Float64Array. */
function rawSum(windows: readonly DriftSketch[], width: number): Float64Array {
  const sum = new Float64Array(width);
  for (const w of windows) {
    let offset = 0;
    for (const f of w.features) {
      const bins = f.bins;
      for (let b = 0; b < bins.length; b++) sum[offset + b]! += bins[b]!;
      offset += bins.length;
    }
    const out = w.output.bins;
    for (let b = 0; b < out.length; b++) sum[offset + b]! += out[b]!;
  }
  return sum;
}

interface SizeResult {
  readonly windows: number;
  readonly candidate: { readonly label: string; readonly p50UsPerWindow: number; readonly p99UsPerWindow: number };
  readonly baseline: { readonly label: string; readonly p50UsPerWindow: number; readonly p99UsPerWindow: number };
  readonly ratio: { readonly p50: number };
}

export async function runDriftMergeBench(): Promise<object> {
  const fixture = irisProfile();
  const width =
    fixture.profile.features.reduce((n, f) => n + f.counts.length, 0) + fixture.profile.output.counts.length;
  const perSize: SizeResult[] = [];
  let sink = 0;
  for (const size of SIZES) {
    const windows = deviceWindows(size, fixture);
    const candidateUs: number[] = [];
    const baselineUs: number[] = [];
    for (let i = 0; i < REPEATS + 2; i++) {
      let start = performance.now();
      const result = mergeAndCompare(fixture.profile, windows);
      const candidate = ((performance.now() - start) * 1000) / size;
      start = performance.now();
      const raw = rawSum(windows, width);
      const baseline = ((performance.now() - start) * 1000) / size;
      sink += (result?.rows ?? 0) + raw[0]!;
      if (i < 2) continue; // warm-up (JIT)
      candidateUs.push(candidate);
      baselineUs.push(baseline);
    }
    // summarize() labels its fields Ms; the samples here are µs per window.
    const c = summarize(candidateUs);
    const b = summarize(baselineUs);
    perSize.push({
      windows: size,
      candidate: {
        label: 'mergeAndCompare (mergeSketches + PSI/JS/KS)',
        p50UsPerWindow: c.p50Ms,
        p99UsPerWindow: c.p99Ms,
      },
      baseline: { label: 'raw Float64Array bin sum', p50UsPerWindow: b.p50Ms, p99UsPerWindow: b.p99Ms },
      ratio: { p50: Math.round((c.p50Ms / b.p50Ms) * 100) / 100 },
    });
  }
  const [small, large] = perSize;
  const flatness = (pick: (s: SizeResult) => number) => Math.round((pick(large!) / pick(small!)) * 100) / 100;
  return {
    name: 'control-plane drift merge of device windows',
    sketch: { features: 4, binsPerFeature: 12, classes: 3, rowsPerWindow: ROWS_PER_WINDOW },
    repeats: REPEATS,
    sizes: perSize,
    // Per-window cost at 10k divided by per-window cost at 1k: ≈ 1 means the merge scales linearly.
    flatness10kVs1k: {
      candidate: flatness((s) => s.candidate.p50UsPerWindow),
      baseline: flatness((s) => s.baseline.p50UsPerWindow),
    },
    checksum: sink,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await runDriftMergeBench(), null, 2));
}
