/**
 * The microcontroller fixture (DESIGN.md §6): the iris MLP of train-mlp.ts, quantized post-training into the
 * protocol's `mcu-int8` image (int8 weights, int32 biases, one float32 scale per tensor, per-feature input
 * quantization folded into the first layer), so tests, the demo and benchmarks can roll a real model out to
 * emulated MCUs. The scales are calibrated on the training rows: each input feature's range (with 20 %
 * headroom) maps onto ±127, and the hidden activations' largest training value onto 127.
 */
import { decodeMcuModel, encodeMcuModel, type McuModel, runMcuModel } from '@edgefleet/protocol';
import { irisDataset, type LabelledRows, splitIris } from './iris-data.js';
import { argmax, type MlpWeights, trainMlp } from './train-mlp.js';

export interface McuIrisModel {
  /** The `mcu-int8` image: register it with metadata `runtime: 'mcu-int8'`. */
  readonly bytes: Uint8Array;
  readonly featureNames: string[];
  /** Held-out rows, handy as self-test inputs. */
  readonly sampleInputs: number[][];
  readonly testSet: LabelledRows;
  /** Test-set accuracy of the int8 arithmetic itself (protocol `runMcuModel`). */
  readonly int8Accuracy: number;
}

const INPUT_HEADROOM = 1.2;
const SAMPLE_INPUT_COUNT = 16;

const maxAbs = (values: ArrayLike<number>) => Array.from(values).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const quantize = (values: readonly number[], scale: number) =>
  Int8Array.from(values, (v) => Math.max(-127, Math.min(127, Math.round(v / scale))));

function quantizeMlp(weights: MlpWeights, train: LabelledRows): McuModel {
  const { inputSize: features, hiddenSize: hidden, outputSize: classes, w1, b1, w2, b2 } = weights;
  const offset = Array.from(weights.inputMean);
  const scale = offset.map(
    (mean, f) => (INPUT_HEADROOM * Math.max(...train.features.map((row) => Math.abs((row[f] as number) - mean)))) / 127,
  );
  // x ≈ offset + q·scale, so layer 1 = (W ∘ scale)·q + (b + W·offset): the quantizer folds into W and b.
  const folded1 = Array.from({ length: hidden * features }, (_, k) => {
    const [j, f] = [Math.floor(k / features), k % features];
    return (w1[f * hidden + j] as number) * (scale[f] as number);
  });
  const bias1 = Array.from({ length: hidden }, (_, j) =>
    offset.reduce((sum, mean, f) => sum + (w1[f * hidden + j] as number) * mean, b1[j] as number),
  );
  const weightScale1 = maxAbs(folded1) / 127;
  let hiddenMax = 0;
  for (const row of train.features) {
    for (let j = 0; j < hidden; j++) {
      const h = row.reduce((sum, x, f) => sum + (w1[f * hidden + j] as number) * x, b1[j] as number);
      hiddenMax = Math.max(hiddenMax, h);
    }
  }
  const outputScale1 = hiddenMax / 127;
  const layer2 = Array.from(
    { length: classes * hidden },
    (_, k) => w2[(k % hidden) * classes + Math.floor(k / hidden)] as number,
  );
  const weightScale2 = maxAbs(layer2) / 127;
  return {
    features,
    inputOffset: Float32Array.from(offset),
    inputScale: Float32Array.from(scale),
    layers: [
      {
        inputs: features,
        outputs: hidden,
        activation: 'relu',
        weightScale: weightScale1,
        outputScale: outputScale1,
        weights: quantize(folded1, weightScale1),
        bias: Int32Array.from(bias1, (b) => Math.round(b / weightScale1)),
      },
      {
        inputs: hidden,
        outputs: classes,
        activation: 'none',
        weightScale: weightScale2,
        outputScale: 0,
        weights: quantize(layer2, weightScale2),
        bias: Int32Array.from(b2, (b) => Math.round(b / (Math.fround(outputScale1) * Math.fround(weightScale2)))),
      },
    ],
  };
}

/** Trains the iris MLP for `seed` and quantizes it into an `mcu-int8` image. */
export function buildIrisMcuModel(options: { seed?: number; hidden?: number } = {}): McuIrisModel {
  const seed = options.seed ?? 42;
  const dataset = irisDataset();
  const { train, test } = splitIris(dataset, { seed });
  const { weights } = trainMlp(train, { seed, hiddenSize: options.hidden ?? 16, classCount: dataset.classes.length });
  const bytes = encodeMcuModel(quantizeMlp(weights, train));
  // Decoded from the bytes: the float32 scales on the wire are what the MCU computes with.
  const outputs = runMcuModel(decodeMcuModel(bytes), Float32Array.from(test.features.flat()), test.features.length);
  const classes = dataset.classes.length;
  const hits = test.labels.filter(
    (label, r) => argmax(Array.from(outputs.subarray(r * classes, (r + 1) * classes))) === label,
  );
  return {
    bytes,
    featureNames: dataset.featureNames,
    sampleInputs: test.features.slice(0, SAMPLE_INPUT_COUNT),
    testSet: test,
    int8Accuracy: hits.length / test.labels.length,
  };
}
