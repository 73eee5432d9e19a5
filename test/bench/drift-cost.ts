/**
 * Per-inference cost of the on-device drift statistics (goal: < 5 % of the demo model's inference
 * time). The agent's per-row work is measured through public APIs only: `SketchAccumulator.addRows`
 * (protocol) for one row, plus the confidence signal — the row's max probability fed to ADWIN and
 * Page-Hinkley (`createAdwin`, `createPageHinkley` from @edgefleet/agent). The baseline, raw
 * `InferenceSession.run` of the iris fp32 model at batch 1, runs interleaved in the same process. One
 * sketch sample times `ROWS_PER_SAMPLE` rows (a single row is below timer resolution) and is divided back.
 */
import { createAdwin, createPageHinkley } from '@edgefleet/agent';
import { buildReferenceProfile, SketchAccumulator } from '@edgefleet/protocol';
import { buildIrisModels, irisDataset } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import { compare, interleave } from './stats.js';

const ROWS_PER_SAMPLE = 1000;
const GOAL_RATIO = 0.05;

export async function runDriftCostBench(): Promise<object> {
  const { fp32, meta } = buildIrisModels();
  const rows = irisDataset().features;
  const session = await ort.InferenceSession.create(fp32, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  try {
    const runFlat = async (flat: Float32Array, n: number) => {
      const results = await session.run({ [meta.inputName]: new ort.Tensor('float32', flat, [n, 4]) });
      return (results[meta.outputName] as ort.Tensor).data as Float32Array;
    };
    const inputs = Float32Array.from(rows.flat());
    const outputs = await runFlat(inputs, rows.length);
    const profile = buildReferenceProfile({
      rows,
      outputs: rows.map((_, r) => Array.from(outputs.subarray(r * 3, r * 3 + 3))),
    });
    const accumulator = new SketchAccumulator(profile);
    const adwin = createAdwin();
    const pageHinkley = createPageHinkley();
    // One view per row, made up front: the agent hands the model's own tensors over without copying.
    const rowInputs = rows.map((_, r) => inputs.subarray(r * 4, r * 4 + 4));
    const rowOutputs = rows.map((_, r) => outputs.subarray(r * 3, r * 3 + 3));
    const single = rowInputs[0] as Float32Array;
    let next = 0;

    const rawInference = () => runFlat(single, 1);
    const driftRows = async () => {
      for (let i = 0; i < ROWS_PER_SAMPLE; i++) {
        const r = next;
        next = (next + 1) % rows.length;
        const out = rowOutputs[r] as Float32Array;
        accumulator.addRows(rowInputs[r] as Float32Array, out, 1);
        const confidence = Math.max(out[0] as number, out[1] as number, out[2] as number);
        adwin.update(confidence);
        pageHinkley.update(confidence);
      }
      if (accumulator.count > 1_000_000) accumulator.reset();
    };

    const measured = await interleave(rawInference, driftRows, { iterations: 4000, block: 200, warmup: 200 });
    const comparison = compare(
      'drift statistics per row vs raw iris inference (fp32, batch 1)',
      { label: 'InferenceSession.run, 1 row', samplesMs: measured.a },
      {
        label: 'SketchAccumulator.addRows + ADWIN + Page-Hinkley, per row',
        samplesMs: measured.b.map((ms) => ms / ROWS_PER_SAMPLE),
      },
      GOAL_RATIO,
    );
    // summarize() rounds to 0.1 µs, coarse for a sub-µs cost: also report the unrounded medians.
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const rawUs = median(measured.a) * 1000;
    const perRowUs = (median(measured.b) * 1000) / ROWS_PER_SAMPLE;
    return {
      ...comparison,
      unrounded: { rawInferenceP50Us: rawUs, driftPerRowP50Us: perRowUs, ratioP50: perRowUs / rawUs },
      rowsPerSketchSample: ROWS_PER_SAMPLE,
    };
  } finally {
    await session.release();
  }
}
