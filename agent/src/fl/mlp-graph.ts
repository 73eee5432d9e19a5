/**
 * The MLP's numbers on both sides of tfjs: the flat parameter vector of protocol's `mlpLayout` (per layer the
 * kernel [in, out] row-major, then the bias) ↔ one tensor per slice, Glorot-uniform initialisation drawn from
 * the shared seeded PRNG, and the forward pass (hidden layers with the spec's activation, logits out; softmax
 * is folded into the cross-entropy loss). Plain tensor ops rather than tf.layers, so training is exactly the
 * minibatch SGD of McMahan et al. 2017 and nothing else (no optimizer state, no hidden regularisers).
 */
import { type MlpSpec, mlpLayout, mlpParameterCount, mulberry32 } from '@edgefleet/protocol';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { TfModule } from './tfjs-engine.js';

/**
 * Glorot & Bengio 2010 "uniform" init (the tf.layers Dense default): kernels ~ U(±√(6 / (fanIn + fanOut))),
 * biases 0. The same seed gives the same bytes on every device, so a coordinator can name a start by its seed.
 */
export function glorotUniformWeights(spec: MlpSpec, seed: number): Float32Array {
  const weights = new Float32Array(mlpParameterCount(spec));
  const random = mulberry32(seed);
  for (const slice of mlpLayout(spec)) {
    if (slice.shape.length !== 2) continue;
    const [fanIn, fanOut] = slice.shape as [number, number];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    for (let i = 0; i < slice.length; i++) weights[slice.offset + i] = (random() * 2 - 1) * limit;
  }
  return weights;
}

/** One tensor per layout slice, in layout order. The caller owns (disposes) them. */
export function tensorsFromFlat(tf: TfModule, spec: MlpSpec, flat: Float32Array): Tensor[] {
  // slice(), not subarray(): the cpu backend keeps a reference to the array it is given, and the caller's
  // vector must not be able to change the tensors after the call.
  return mlpLayout(spec).map((s) => tf.tensor(flat.slice(s.offset, s.offset + s.length), [...s.shape]));
}

/** Reads the tensors back into one flat vector in layout order. */
export function flatFromTensors(spec: MlpSpec, params: readonly Tensor[]): Float32Array {
  const flat = new Float32Array(mlpParameterCount(spec));
  mlpLayout(spec).forEach((slice, i) => {
    flat.set((params[i] as Tensor).dataSync() as Float32Array, slice.offset);
  });
  return flat;
}

/** Logits [rows, classes] for a batch; call inside tf.tidy. */
export function forward(tf: TfModule, spec: MlpSpec, params: readonly Tensor[], x: Tensor2D): Tensor2D {
  const layerCount = spec.layers.length - 1;
  let h = x;
  for (let layer = 0; layer < layerCount; layer++) {
    const kernel = params[2 * layer] as Tensor2D;
    const bias = params[2 * layer + 1] as Tensor;
    const z = tf.add(tf.matMul(h, kernel), bias) as Tensor2D;
    h = layer + 1 === layerCount ? z : spec.activation === 'relu' ? tf.relu(z) : tf.tanh(z);
  }
  return h;
}
