/**
 * Drift for a model whose input is not a table: the real PaddleOCR CNN ([N, 3, 48, 192] images → softmax
 * [N, 2]) served by the inference service, its runs counted by the drift monitor on the summary features
 * the manifest's profile names. The profile is built the way the registry builds it (protocol
 * `summarizeForDrift` per reference sample, `buildReferenceProfile`), so a device that serves exactly the
 * reference images must count exactly the reference bins.
 */
import {
  buildReferenceProfile,
  type DriftFeatures,
  driftFeatureNames,
  type ReferenceProfile,
  summarizeForDrift,
  type Tensor,
} from '@edgefleet/protocol';
import { REAL_MODELS, seededImage } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/config.js';
import { createDriftMonitor, type DriftRecord } from '../../src/drift/drift-monitor.js';
import { createInferenceService, type InferenceService } from '../../src/inference/inference-service.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import { manualClock } from '../helpers/manual-clock.js';
import { entry } from '../inference/fixtures.js';

const OUTPUT = 'softmax_0.tmp_0';
const CONTRACT = {
  inputs: [{ name: 'x', dtype: 'float32' as const, shape: ['N', 3, 'H', 'W'] }],
  outputs: [{ name: OUTPUT, dtype: 'float32' as const, shape: ['N', 2] }],
};
const SPEC: DriftFeatures = {
  inputs: [
    { input: 'x', summary: 'channel-mean', axis: 1 },
    { input: 'x', summary: 'channel-std', axis: 1 },
  ],
  output: { name: OUTPUT, summaries: ['confidence', 'entropy'] },
};

let service: InferenceService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** The reference profile as registration computes it: one call per image, summaries, bins. */
async function referenceProfile(run: (x: Tensor) => Promise<Record<string, Tensor>>, images: Tensor[]) {
  const rows: number[][] = [];
  const outputs: number[][] = [];
  let names: string[] = [];
  for (const x of images) {
    const out = await run(x);
    const summary = summarizeForDrift(SPEC, { x }, out);
    if (typeof summary === 'string') throw new Error(summary);
    names = driftFeatureNames(SPEC, { x }, out) as string[];
    rows.push(Array.from(summary.features));
    outputs.push(Array.from(summary.classes));
  }
  return buildReferenceProfile({ rows, outputs, featureNames: names, driftFeatures: SPEC });
}

async function cnnWithDrift(profile: ReferenceProfile | undefined) {
  const modelPath = REAL_MODELS.imageCnn.path;
  const clock = manualClock();
  const sketches: DriftRecord[] = [];
  const drift = createDriftMonitor({
    clock,
    logger: pino({ level: 'silent' }),
    settings: DEFAULTS.drift,
    onSketch: (record) => sketches.push(record),
    onAlarm: () => undefined,
    activeVersion: () => 1,
  });
  service = createInferenceService({ clock, onResult: (r) => drift.observe(r) });
  const model = await createOnnxRuntime().load({ modelPath, ...CONTRACT });
  const base = entry(1, model, CONTRACT, 'cnn');
  service.activate('cnn', { ...base, manifest: { ...base.manifest, ...(profile ? { profile } : {}) } });
  return { service, drift, sketches, run: (x: Tensor) => model.run({ x }) };
}

describe('drift for an image CNN on summary features', () => {
  it('counts the reference images, served one by one or batched, into exactly the reference bins', async () => {
    const images = Array.from({ length: 24 }, (_, i) => seededImage(300 + i));
    const probe = await cnnWithDrift(undefined);
    const profile = await referenceProfile(probe.run, images);
    await probe.service.close();
    const { service: cnn, drift, sketches } = await cnnWithDrift(profile);
    for (const x of images.slice(0, 12)) await cnn.infer('cnn', { x });
    // The other half as one batch of 12: batching does not change a sample's features.
    const batch = new Float32Array(12 * 3 * 48 * 192);
    for (const [i, x] of images.slice(12).entries()) batch.set(x.data as Float32Array, i * x.data.length);
    await cnn.infer('cnn', { x: { type: 'float32', data: batch, dims: [12, 3, 48, 192] } });
    drift.flush();
    expect(sketches).toHaveLength(1);
    const [sketch] = sketches;
    expect(sketch?.count).toBe(24);
    expect(sketch?.features.map((f) => f.bins)).toEqual(profile.features.map((f) => f.counts));
    expect(sketch?.output.bins).toEqual(profile.output.counts);
  });

  it('moves the channel means of brighter images into the upper tail bins', async () => {
    const reference = Array.from({ length: 60 }, (_, i) => seededImage(500 + i));
    const probe = await cnnWithDrift(undefined);
    const profile = await referenceProfile(probe.run, reference);
    await probe.service.close();
    const { service: cnn, drift, sketches } = await cnnWithDrift(profile);
    for (let i = 0; i < 30; i++) await cnn.infer('cnn', { x: seededImage(900 + i, { brightness: 90 }) });
    drift.flush();
    const means = sketches[0]!.features.slice(0, 3).map((f) => f.bins);
    // Most of each channel's mass lies above the reference's 99th percentile (bin 11).
    for (const bins of means) expect(bins[11]!).toBeGreaterThan(15);
  });

  it('leaves calls its profile does not fit out of the statistics and keeps answering', async () => {
    const images = Array.from({ length: 4 }, (_, i) => seededImage(700 + i));
    const probe = await cnnWithDrift(undefined);
    const profile = await referenceProfile(probe.run, images);
    await probe.service.close();
    // A profile whose spec reads axis 2 (48 rows) as channels: 98 features per sample, the bins hold 8.
    const inputs = SPEC.inputs.map((s) => ({ ...s, axis: 2 })) as DriftFeatures['inputs'];
    const misread = { ...profile, driftFeatures: { ...SPEC, inputs } };
    const { service: cnn, drift, sketches } = await cnnWithDrift(misread);
    for (const x of images) expect((await cnn.infer('cnn', { x })).outputs[OUTPUT]?.dims).toEqual([1, 2]);
    drift.flush();
    expect(sketches).toEqual([]);
  });
});
