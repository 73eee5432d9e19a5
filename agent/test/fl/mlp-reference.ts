/**
 * Test oracle for the trainer: seeded "blobs" classification data (uniform noise around random centres), and a plain float64 forward
 * pass over protocol's flat MLP layout (kernel [in, out] row-major, then bias; softmax cross-entropy), written
 * independently of tfjs so the trainer's layout, activations, loss and gradients can be checked against it.
 */
import { type MlpSpec, mulberry32 } from '@edgefleet/protocol';

export interface Blobs {
  readonly x: Float32Array;
  readonly y: Uint8Array;
}

/** `classes` well-separated clusters: a random centre in [-2, 2]^features each, points within ±0.5 of it. */
export function blobs(options: { n: number; features: number; classes: number; seed: number }): Blobs {
  const random = mulberry32(options.seed);
  const centres = Array.from({ length: options.classes }, () =>
    Array.from({ length: options.features }, () => random() * 4 - 2),
  );
  const x = new Float32Array(options.n * options.features);
  const y = new Uint8Array(options.n);
  for (let i = 0; i < options.n; i++) {
    const label = i % options.classes;
    y[i] = label;
    for (let f = 0; f < options.features; f++) {
      x[i * options.features + f] = (centres[label]?.[f] as number) + random() - 0.5;
    }
  }
  return { x, y };
}

export function referenceLoss(spec: MlpSpec, weights: Float32Array, data: Blobs): { loss: number; accuracy: number } {
  const inputs = spec.layers[0] as number;
  let lossSum = 0;
  let correct = 0;
  for (let row = 0; row < data.y.length; row++) {
    let h = Array.from(data.x.subarray(row * inputs, (row + 1) * inputs));
    let offset = 0;
    for (let layer = 0; layer + 1 < spec.layers.length; layer++) {
      const fanIn = spec.layers[layer] as number;
      const fanOut = spec.layers[layer + 1] as number;
      const z = Array.from({ length: fanOut }, (_, o) => {
        let sum = weights[offset + fanIn * fanOut + o] as number;
        for (let i = 0; i < fanIn; i++) sum += (h[i] as number) * (weights[offset + i * fanOut + o] as number);
        return sum;
      });
      offset += fanIn * fanOut + fanOut;
      const last = layer + 2 === spec.layers.length;
      h = last ? z : z.map((v) => (spec.activation === 'relu' ? Math.max(0, v) : Math.tanh(v)));
    }
    const max = Math.max(...h);
    const logSumExp = max + Math.log(h.reduce((s, v) => s + Math.exp(v - max), 0));
    const label = data.y[row] as number;
    lossSum += logSumExp - (h[label] as number);
    if (h.indexOf(max) === label) correct += 1;
  }
  return { loss: lossSum / data.y.length, accuracy: correct / data.y.length };
}
