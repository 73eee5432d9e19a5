/**
 * Public surface of the iris model generator: small but real ONNX classifiers (float32 and dynamically
 * quantised int8) trained on the bundled iris data, for tests, the demo and benchmarks. Everything is derived
 * from a seed with no network access, so a seed names one exact pair of model files across runs and machines
 * running the same Node version. Results are memoised per seed and width because many tests ask for them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { irisDataset, splitIris } from './iris-data.js';
import { buildIrisOnnx, IRIS_INPUT_NAME, IRIS_OUTPUT_NAME } from './onnx-writer.js';
import { trainMlp } from './train-mlp.js';

export { mulberry32, type Rng } from '@edgefleet/protocol';
export type { IrisDataset, LabelledRows } from './iris-data.js';
export { irisDataset, splitIris } from './iris-data.js';
export { buildIrisMcuModel, type McuIrisModel } from './mcu-model.js';
export {
  biasedImageCnn,
  jsonSamples,
  jsonSampleTensor,
  packageFile,
  REAL_MODELS,
  type RealModel,
  seededAudioFrame,
  seededImage,
} from './real-models.js';

export interface IrisModelOptions {
  readonly seed?: number;
  /** Width of the hidden ReLU layer. */
  readonly hidden?: number;
  /**
   * Training epochs (default: the trainer's own). Training cost grows with `hidden`; a wide model used only
   * for its size (a many-chunk bundle) can train for a few epochs.
   */
  readonly epochs?: number;
  /**
   * Added to the output layer's logits after training: a deliberately biased model that registers, passes its
   * own self-test and answers confidently, but shifts its predictions toward a class on live traffic — the
   * "accurate-looking but worse" challenger of the rollout gate tests.
   */
  readonly outputBias?: readonly number[];
}

export interface IrisModelMeta {
  readonly inputName: typeof IRIS_INPUT_NAME;
  readonly outputName: typeof IRIS_OUTPUT_NAME;
  readonly seed: number;
  readonly hidden: number;
  /** Input column order; values are centimetres. */
  readonly featureNames: string[];
  /** Output column order. */
  readonly classes: string[];
  /** Held-out rows, handy as device self-test inputs. */
  readonly sampleInputs: number[][];
  readonly testSet: { readonly features: number[][]; readonly labels: number[] };
  readonly trainAccuracy: number;
}

export interface IrisModels {
  /** ONNX ModelProto bytes: opset 17, input `features` float32 [N, 4], output `probabilities` float32 [N, 3]. */
  readonly fp32: Uint8Array;
  /** Same interface as fp32, with int8 weights and MatMulInteger. */
  readonly int8: Uint8Array;
  readonly meta: IrisModelMeta;
}

export interface WrittenIrisModels {
  readonly fp32Path: string;
  readonly int8Path: string;
  readonly metaPath: string;
}

export { IRIS_INPUT_NAME, IRIS_OUTPUT_NAME } from './onnx-writer.js';

export const DEFAULT_IRIS_SEED = 42;
const DEFAULT_HIDDEN = 8;
const SAMPLE_INPUT_COUNT = 16;

const cache = new Map<string, IrisModels>();

export function buildIrisModels(options: IrisModelOptions = {}): IrisModels {
  const seed = options.seed ?? DEFAULT_IRIS_SEED;
  const hidden = options.hidden ?? DEFAULT_HIDDEN;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(hidden) || hidden < 1) throw new RangeError(`hidden must be a positive integer, got ${hidden}`);
  const key = `${seed}:${hidden}:${options.epochs ?? 'default'}:${options.outputBias?.join(',') ?? ''}`;
  let models = cache.get(key);
  if (models === undefined) {
    models = generate(seed, hidden, options.epochs, options.outputBias);
    cache.set(key, models);
  }
  // Hand out copies: the cached instance is shared by every caller in the process, so one test mutating
  // a sample row or the bytes must not leak into another.
  return structuredClone(models);
}

/** Writes `iris-fp32.onnx`, `iris-int8.onnx` and `iris-meta.json` into `dir`, creating it if needed. */
export async function writeIrisModels(dir: string, options: IrisModelOptions = {}): Promise<WrittenIrisModels> {
  const models = buildIrisModels(options);
  const paths: WrittenIrisModels = {
    fp32Path: join(dir, 'iris-fp32.onnx'),
    int8Path: join(dir, 'iris-int8.onnx'),
    metaPath: join(dir, 'iris-meta.json'),
  };
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(paths.fp32Path, models.fp32),
    writeFile(paths.int8Path, models.int8),
    writeFile(paths.metaPath, `${JSON.stringify(models.meta, null, 2)}\n`),
  ]);
  return paths;
}

function generate(
  seed: number,
  hidden: number,
  epochs: number | undefined,
  outputBias: readonly number[] | undefined,
): IrisModels {
  const dataset = irisDataset();
  const { train, test } = splitIris(dataset, { seed });
  const trained = trainMlp(train, {
    seed,
    hiddenSize: hidden,
    classCount: dataset.classes.length,
    ...(epochs === undefined ? {} : { epochs }),
  });
  const { trainAccuracy } = trained;
  const weights =
    outputBias === undefined
      ? trained.weights
      : { ...trained.weights, b2: trained.weights.b2.map((b, i) => b + (outputBias[i] ?? 0)) };
  return {
    fp32: buildIrisOnnx(weights, 'fp32'),
    int8: buildIrisOnnx(weights, 'int8'),
    meta: {
      inputName: IRIS_INPUT_NAME,
      outputName: IRIS_OUTPUT_NAME,
      seed,
      hidden,
      featureNames: dataset.featureNames,
      classes: dataset.classes,
      sampleInputs: test.features.slice(0, SAMPLE_INPUT_COUNT),
      testSet: test,
      trainAccuracy,
    },
  };
}
