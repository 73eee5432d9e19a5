import { describe, expect, it } from 'vitest';
import {
  agreeingRows,
  buildReferenceProfile,
  type DriftFeatures,
  driftFeatureNames,
  driftFeaturesSchema,
  manifestBodySchema,
  mulberry32,
  outputComparisonSchema,
  SketchAccumulator,
  summarizeForDrift,
  type Tensor,
} from '../src/index.js';
import { manifestBody } from './fixtures.js';

const f32 = (data: number[], dims: number[]): Tensor => ({ type: 'float32', data: Float32Array.from(data), dims });

/** A seeded NCHW batch of `n` images, 3 channels of h×w, channel c around c·10. */
function images(n: number, h = 4, w = 5, seed = 1): Tensor {
  const rng = mulberry32(seed);
  const data = new Float32Array(n * 3 * h * w);
  for (let i = 0; i < data.length; i++) data[i] = (Math.floor(i / (h * w)) % 3) * 10 + rng();
  return { type: 'float32', data, dims: [n, 3, h, w] };
}

const softmax2 = (n: number, seed = 2): Tensor => {
  const rng = mulberry32(seed);
  const data = new Float32Array(n * 2);
  for (let r = 0; r < n; r++) {
    const p = rng();
    data[r * 2] = p;
    data[r * 2 + 1] = 1 - p;
  }
  return { type: 'float32', data, dims: [n, 2] };
};

const IMAGE_SPEC: DriftFeatures = {
  inputs: [
    { input: 'x', summary: 'channel-mean', axis: 1 },
    { input: 'x', summary: 'channel-std', axis: 1 },
  ],
  output: { name: 'probs', summaries: ['confidence', 'entropy'] },
};

describe('summary features for drift', () => {
  it('computes per-channel mean and population std of each sample of an NCHW batch, then output summaries', () => {
    // sample 0: channel 0 = [0,1,2,3], channel 1 = [10,10,10,10]; sample 1: channel 0 = [4,4,4,4], channel 1 = [-1,1,-1,1]
    const x = f32([0, 1, 2, 3, 10, 10, 10, 10, 4, 4, 4, 4, -1, 1, -1, 1], [2, 2, 2, 2]);
    const probs = f32([0.25, 0.75, 1, 0], [2, 2]);
    const rows = summarizeForDrift(IMAGE_SPEC, { x }, { probs });
    if (typeof rows === 'string') throw new Error(rows);
    expect(rows).toMatchObject({ rows: 2, width: 6, classCount: 2 });
    const h = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    expect(Array.from(rows.features)).toEqual([1.5, 10, Math.sqrt(1.25), 0, 0.75, h, 4, 0, 0, 1, 1, 0]);
    expect(driftFeatureNames(IMAGE_SPEC, { x }, { probs })).toEqual([
      'x.mean[0]',
      'x.mean[1]',
      'x.std[0]',
      'x.std[1]',
      'probs.confidence',
      'probs.entropy',
    ]);
  });

  it('reads the channel axis from the end for NHWC (axis -1) and agrees with NCHW on transposed data', () => {
    const nchw = images(3);
    const [n, c, h, w] = nchw.dims as [number, number, number, number];
    const nhwc = new Float32Array(nchw.data.length);
    for (let s = 0; s < n; s++)
      for (let k = 0; k < c; k++)
        for (let p = 0; p < h * w; p++)
          nhwc[s * c * h * w + p * c + k] = nchw.data[s * c * h * w + k * h * w + p] as number;
    const probs = softmax2(3);
    const a = summarizeForDrift(IMAGE_SPEC, { x: nchw }, { probs });
    const last: DriftFeatures = {
      ...IMAGE_SPEC,
      inputs: IMAGE_SPEC.inputs.map((s) => ({ ...s, axis: -1 }) as DriftFeatures['inputs'][number]),
    };
    const b = summarizeForDrift(last, { x: { type: 'float32', data: nhwc, dims: [n, h, w, c] } }, { probs });
    if (typeof a === 'string' || typeof b === 'string') throw new Error('unfit');
    // Summation order differs (blocks vs strides), so equal to rounding, not bit for bit.
    for (const [i, v] of a.features.entries()) expect(b.features[i]).toBeCloseTo(v, 12);
  });

  it('computes RMS energy and the zero-crossing rate of audio frames along the last axis', () => {
    const frames = f32([1, -1, 1, -1, 0.5, 0.5, 0.5, 0.5, 0, -2, 0, 2], [3, 4]);
    const spec: DriftFeatures = {
      inputs: [
        { input: 'audio', summary: 'rms' },
        { input: 'audio', summary: 'zero-crossing-rate' },
      ],
      output: { name: 'speech', summaries: [] },
    };
    const rows = summarizeForDrift(spec, { audio: frames }, { speech: f32([0.9, 0.1, 0.5], [3, 1]) });
    if (typeof rows === 'string') throw new Error(rows);
    // frame 2: 0 counts as positive, so 0→-2, -2→0, and 0→2 (no change) give 2 crossings over 3 pairs
    expect(Array.from(rows.features)).toEqual([1, 1, 0.5, 0, Math.sqrt(2), 2 / 3]);
    expect(rows.classCount).toBe(1);
  });

  it('passes small inputs through raw (tabular columns) from any element type', () => {
    const spec: DriftFeatures = { inputs: [{ input: 'codes', summary: 'raw' }], output: { name: 'y', summaries: [] } };
    const codes: Tensor = { type: 'int64', data: BigInt64Array.of(3n, -4n, 5n, 6n), dims: [2, 2] };
    const rows = summarizeForDrift(spec, { codes }, { y: f32([0, 1, 1, 0], [2, 2]) });
    if (typeof rows === 'string') throw new Error(rows);
    expect(Array.from(rows.features)).toEqual([3, -4, 5, 6]);
    expect(driftFeatureNames(spec, { codes }, { y: f32([0, 1, 1, 0], [2, 2]) })).toEqual(['codes[0]', 'codes[1]']);
  });

  it.each([
    ['a missing input', { probs: softmax2(2) }, {}, 'input x is missing'],
    ['a missing output', {}, { x: images(2) }, 'output probs is missing'],
    ['an input with another sample count', { probs: softmax2(3) }, { x: images(2) }, 'has 2 samples'],
  ])('says why the tensors do not fit: %s', (_name, outputs, feeds, reason) => {
    expect(summarizeForDrift(IMAGE_SPEC, feeds as Record<string, Tensor>, outputs as Record<string, Tensor>)).toContain(
      reason,
    );
  });

  it('refuses a channel axis outside the tensor and a sample axis as channel axis', () => {
    const bad = { ...IMAGE_SPEC, inputs: [{ input: 'x', summary: 'channel-mean' as const, axis: 5 }] };
    expect(summarizeForDrift(bad, { x: images(1) }, { probs: softmax2(1) })).toContain('not a channel axis');
    expect(
      driftFeaturesSchema.safeParse({ ...IMAGE_SPEC, inputs: [{ input: 'x', summary: 'channel-mean', axis: 0 }] })
        .success,
    ).toBe(false);
    expect(driftFeaturesSchema.safeParse({ inputs: [], output: { name: 'y', summaries: [] } }).success).toBe(false);
  });

  it('gives the registry and a device the same sketch: a profile built from summaries, a sketch counted from tensors', () => {
    // The registry: one call per reference sample; the device: one batched call. Same features, same bins.
    const reference = images(40, 4, 5, 7);
    const refProbs = softmax2(40, 8);
    const whole = summarizeForDrift(IMAGE_SPEC, { x: reference }, { probs: refProbs });
    if (typeof whole === 'string') throw new Error(whole);
    const perSample = Array.from({ length: 40 }, (_, i) => {
      const size = 3 * 4 * 5;
      const x = { type: 'float32', data: reference.data.slice(i * size, (i + 1) * size), dims: [1, 3, 4, 5] } as Tensor;
      const probs = { type: 'float32', data: refProbs.data.slice(i * 2, i * 2 + 2), dims: [1, 2] } as Tensor;
      const one = summarizeForDrift(IMAGE_SPEC, { x }, { probs });
      if (typeof one === 'string') throw new Error(one);
      return one;
    });
    // bit-identical per sample, batched or not
    expect(perSample.flatMap((r) => Array.from(r.features))).toEqual(Array.from(whole.features));
    const profile = buildReferenceProfile({
      rows: perSample.map((r) => Array.from(r.features)),
      outputs: perSample.map((r) => Array.from(r.classes)),
      featureNames: driftFeatureNames(IMAGE_SPEC, { x: reference }, { probs: refProbs }) as string[],
      driftFeatures: IMAGE_SPEC,
    });
    const device = new SketchAccumulator(profile);
    device.addRows(whole.features, whole.classes, whole.rows);
    const sketch = device.snapshot({ line: 'cnn', version: 1, windowStartMs: 0, windowEndMs: 1 });
    expect(sketch.features.map((f) => f.bins)).toEqual(profile.features.map((f) => f.counts));
    expect(sketch.output.bins).toEqual(profile.output.counts);
  });

  it('is accepted in a manifest only when it names inputs and an output of the model', () => {
    const profile = buildReferenceProfile({
      rows: [[1], [2]],
      outputs: [[0.5], [0.7]],
      driftFeatures: {
        inputs: [{ input: 'features', summary: 'rms' }],
        output: { name: 'probabilities', summaries: [] },
      },
    });
    expect(profile.output.counts).toEqual([2]); // a one-value output: a one-bin histogram
    const base = manifestBody();
    expect(manifestBodySchema.safeParse({ ...base, profile }).success).toBe(true);
    const wrong = { ...profile, driftFeatures: { ...profile.driftFeatures!, output: { name: 'nope', summaries: [] } } };
    expect(manifestBodySchema.safeParse({ ...base, profile: wrong }).success).toBe(false);
  });
});

describe('output comparison', () => {
  const champion = f32([0.9, 0.1, 0.2, 0.8, 0.5, 0.5], [3, 2]);

  it('counts argmax agreement per sample', () => {
    const challenger = f32([0.6, 0.4, 0.7, 0.3, 0.5, 0.5], [3, 2]);
    expect(agreeingRows({ mode: 'argmax' }, champion, challenger)).toEqual({ rows: 3, agreements: 2 });
  });

  it('counts samples whose every element is within atol + rtol·|champion|, NaN never', () => {
    const challenger = f32([0.95, 0.1, 0.2, 0.8, Number.NaN, 0.5], [3, 2]);
    const within = outputComparisonSchema.parse({ mode: 'tolerance', atol: 0.01, rtol: 0.01 });
    // sample 0: |0.95 − 0.9| = 0.05 > 0.01 + 0.009, disagrees; sample 1 is exact; sample 2 holds a NaN
    expect(agreeingRows(within, champion, challenger)).toEqual({ rows: 3, agreements: 1 });
    expect(agreeingRows({ mode: 'tolerance', atol: 0.06, rtol: 0 }, champion, challenger)).toEqual({
      rows: 3,
      agreements: 2,
    });
  });

  it('refuses tensors of different dims', () => {
    expect(agreeingRows({ mode: 'argmax' }, champion, f32([1, 0], [1, 2]))).toContain('dims');
  });
});
