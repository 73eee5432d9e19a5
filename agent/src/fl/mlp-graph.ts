/**
 * The MLP's numbers on both sides of tfjs: the flat parameter vector of protocol's `mlpLayout` (per layer the
 * kernel [in, out] row-major, then the bias) ↔ one tensor per slice, and the forward pass (hidden layers with the spec's activation, logits out; softmax
 * is folded into the cross-entropy loss). Plain tensor ops rather than tf.layers, so training is exactly the
 * minibatch SGD of McMahan et al. 2017 and nothing else (no optimizer state, no hidden regularisers).
 */
import { type MlpSpec, mlpLayout, mlpParameterCount } from '@edgefleet/protocol';
import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import type { TfModule } from './tfjs-engine.js';

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
