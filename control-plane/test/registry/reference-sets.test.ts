/**
 * Drift reference profiles from reference sets of named tensors, registered through the HTTP API with real
 * models: the profile in the signed manifest is exactly what protocol `summarizeForDrift` (the agent's
 * function) and `buildReferenceProfile` give for the same tensors run through raw onnxruntime — so a device
 * counting the same inputs lands in the same bins.
 */
import {
  buildReferenceProfile,
  type DriftFeatures,
  driftFeatureNames,
  encodeCbor,
  encodeTensorMap,
  type ManifestBody,
  mulberry32,
  summarizeForDrift,
  type Tensor,
} from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { type Fixture, startFixture } from '../helpers/control-plane-fixture.js';
import { npyBytes, REAL_MODELS } from './model-files.js';

let f: Fixture | undefined;
afterAll(async () => {
  await f?.close();
});

const IMAGE_DIMS = [1, 3, 48, 192];

/** A seeded image whose three channels have different levels, as an image would. */
function image(seed: number): Tensor {
  const rng = mulberry32(seed);
  const level = rng() * 2 - 1;
  const data = Float32Array.from({ length: 3 * 48 * 192 }, (_, i) => level + 0.2 * Math.floor(i / 9216) + rng() * 0.5);
  return { type: 'float32', data, dims: IMAGE_DIMS };
}

const base64 = (t: Tensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');

function form(options: {
  model: Uint8Array;
  samples: Record<string, Tensor>[];
  state?: { input: string; output: string }[];
  reference: unknown;
  referenceSamples?: Uint8Array;
}): FormData {
  const body = new FormData();
  body.append('model', new Blob([new Uint8Array(options.model)]), 'model.onnx');
  const samples = options.samples.map((s) =>
    Object.fromEntries(Object.entries(s).map(([k, t]) => [k, { dtype: t.type, dims: t.dims, data: base64(t) }])),
  );
  body.append('metadata', JSON.stringify({ samples, ...(options.state ? { state: options.state } : {}) }));
  body.append('reference', JSON.stringify(options.reference));
  if (options.referenceSamples !== undefined) {
    body.append('referenceSamples', new Blob([new Uint8Array(options.referenceSamples)]), 'reference.npy');
  }
  return body;
}

async function post(line: string, body: FormData) {
  f ??= await startFixture();
  const res = await f.request('POST', `/v1/models/${line}/versions`, { body });
  return { status: res.status, body: (await res.json()) as { manifest: ManifestBody; error: { message: string } } };
}

/** What a device would compute: raw onnxruntime outputs, summaries, bins. */
async function expectedProfile(model: Uint8Array, spec: DriftFeatures, feeds: Record<string, Tensor>[]) {
  const session = await ort.InferenceSession.create(model);
  try {
    const rows: number[][] = [];
    const outputs: number[][] = [];
    let names: string[] = [];
    for (const feed of feeds) {
      const ortFeeds = Object.fromEntries(
        Object.entries(feed).map(([k, t]) => [k, new ort.Tensor(t.type, t.data as Float32Array, t.dims)]),
      );
      const out = (await session.run(ortFeeds)) as unknown as Record<string, Tensor>;
      const summary = summarizeForDrift(spec, feed, out);
      if (typeof summary === 'string') throw new Error(summary);
      names = driftFeatureNames(spec, feed, out) as string[];
      rows.push(Array.from(summary.features));
      outputs.push(Array.from(summary.classes));
    }
    return buildReferenceProfile({ rows, outputs, featureNames: names, driftFeatures: spec });
  } finally {
    await session.release();
  }
}

describe('drift reference sets of named tensors', () => {
  const cnn = REAL_MODELS.imageClassifier();
  const images = Array.from({ length: 30 }, (_, i) => ({ x: image(100 + i) }));
  const driftFeatures = {
    inputs: [
      { input: 'x', summary: 'channel-mean', axis: 1 },
      { input: 'x', summary: 'channel-std', axis: 1 },
    ],
    output: { summaries: ['confidence', 'entropy'] },
  };

  it('profiles an image CNN on per-channel mean and std, exactly as a device computes them', async () => {
    const { status, body } = await post(
      'cnn',
      form({
        model: cnn,
        samples: [images[0]!],
        reference: {
          driftFeatures,
          samples: images.map(({ x }) => ({ x: { dims: x.dims, data: base64(x) } })),
        },
      }),
    );
    expect(status, JSON.stringify(body)).toBe(201);
    const profile = body.manifest.profile!;
    const spec = profile.driftFeatures!;
    expect(spec.output.name).toBe('softmax_0.tmp_0'); // the first output, when the upload names none
    expect(profile.features.map((x) => x.name)).toEqual([
      'x.mean[0]',
      'x.mean[1]',
      'x.mean[2]',
      'x.std[0]',
      'x.std[1]',
      'x.std[2]',
      'softmax_0.tmp_0.confidence',
      'softmax_0.tmp_0.entropy',
    ]);
    expect(profile).toEqual(await expectedProfile(cnn, spec, images));
    expect(profile.output.counts.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('takes the reference set as a .npy file part and builds the same profile', async () => {
    const stacked = new Float32Array(images.length * 3 * 48 * 192);
    for (const [i, { x }] of images.entries()) stacked.set(x.data as Float32Array, i * x.data.length);
    const npy = npyBytes({ type: 'float32', data: stacked, dims: [images.length, 3, 48, 192] });
    const fromJson = await post(
      'cnn-json',
      form({
        model: cnn,
        samples: [images[0]!],
        reference: { driftFeatures, samples: images.map(({ x }) => ({ x: { dims: x.dims, data: base64(x) } })) },
      }),
    );
    const fromFile = await post(
      'cnn-npy',
      form({ model: cnn, samples: [images[0]!], reference: { driftFeatures }, referenceSamples: npy }),
    );
    expect(fromFile.status, JSON.stringify(fromFile.body)).toBe(201);
    expect(fromFile.body.manifest.profile).toEqual(fromJson.body.manifest.profile);
  });

  it('profiles audio-like frames of a keyword model by RMS and zero-crossing rate; a one-score output', async () => {
    const kws = REAL_MODELS.keyword();
    const input = 'onnx::Flatten_0';
    const frames = Array.from({ length: 20 }, (_, i) => {
      const rng = mulberry32(i + 1);
      return {
        [input]: { type: 'float32', data: Float32Array.from({ length: 2400 }, () => rng() * 4 - 2), dims: [1, 25, 96] },
      } as Record<string, Tensor>;
    });
    const cbor = encodeCbor({ samples: frames.map((s) => encodeTensorMap(s)) });
    const reference = {
      driftFeatures: {
        inputs: [
          { input, summary: 'rms' },
          { input, summary: 'zero-crossing-rate' },
        ],
        output: { summaries: ['confidence'] },
      },
    };
    const { status, body } = await post(
      'kws',
      form({ model: kws, samples: [frames[0]!], reference, referenceSamples: cbor }),
    );
    expect(status, JSON.stringify(body)).toBe(201);
    const profile = body.manifest.profile!;
    expect(profile.features.map((x) => x.name)).toEqual([`${input}.rms`, `${input}.zcr`, '39.confidence']);
    expect(profile.output.counts).toEqual([20]); // one value per sample: a one-bin class histogram
    expect(profile).toEqual(await expectedProfile(kws, profile.driftFeatures!, frames));
  });

  it('runs the reference set of a stateful model as one stream, like its self-test samples', async () => {
    const vad = REAL_MODELS.sileroVad();
    const frames = Array.from({ length: 12 }, (_, i) => ({
      input: {
        type: 'float32',
        data: Float32Array.from({ length: 512 }, (_, t) => 0.3 * Math.sin((i * 512 + t) / 7)),
        dims: [1, 512],
      } as Tensor,
      sr: { type: 'int64', data: BigInt64Array.of(16_000n), dims: [] } as Tensor,
    }));
    const cbor = encodeCbor({ samples: frames.map((s) => encodeTensorMap(s)) });
    const { status, body } = await post(
      'vad',
      form({
        model: vad,
        samples: frames.slice(0, 2),
        state: [
          { input: 'h', output: 'hn' },
          { input: 'c', output: 'cn' },
        ],
        reference: {
          driftFeatures: { inputs: [{ input: 'input', summary: 'rms' }], output: { name: 'output', summaries: [] } },
        },
        referenceSamples: cbor,
      }),
    );
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.manifest.profile).toMatchObject({ sampleCount: 12, output: { counts: [12] } });
  });

  it.each([
    ['an input the model does not have', { inputs: [{ input: 'y', summary: 'rms' }] }, true, 'no (non-state) input y'],
    [
      'a channel axis beyond the rank',
      { inputs: [{ input: 'x', summary: 'channel-mean', axis: 4 }] },
      true,
      'reference sample 0: input x (channel-mean): axis 4 is not a channel axis of rank 4',
    ],
    ['an unknown summary', { inputs: [{ input: 'x', summary: 'fft' }] }, true, 'reference.driftFeatures.inputs.0'],
    ['no reference set at all', { inputs: [{ input: 'x', summary: 'rms' }] }, false, 'exactly one of them'],
  ])('refuses %s with 400 BODY_INVALID naming it', async (_name, driftFeatures, withSamples, message) => {
    const samples = [{ x: { dims: IMAGE_DIMS, data: base64(images[0]!.x) } }];
    const reference = withSamples ? { driftFeatures, samples } : { driftFeatures };
    const { status, body } = await post('cnn-bad', form({ model: cnn, samples: [images[0]!], reference }));
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error.message).toContain(message);
  });
});
