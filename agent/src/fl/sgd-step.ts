/**
 * One minibatch SGD step of an MLP with softmax cross-entropy, with the backward pass written out instead of
 * taken from tfjs' tape (tf.variableGrads). For a dense stack the gradients are short and standard
 * (∂L/∂logits = (softmax − onehot)/B; per layer ∂W = hᵀ·δ, ∂b = Σδ, δ_prev = (δ·Wᵀ) ⊙ act′), and writing them
 * lets each step avoid the wasm backend's slow transposed-A matmul (hᵀ is materialised first, then an ordinary
 * matmul) and scale the small δ by the learning rate instead of the large ∂W. The FedProx proximal gradient
 * μ(w − w_global) (Li et al. 2020) joins each update. Must run inside tf.tidy.
 */
import type { MlpSpec } from '@edgefleet/protocol';
import type { Tensor, Tensor2D, Variable } from '@tensorflow/tfjs';
import type { TfModule } from './tfjs-engine.js';

export interface SgdBatch {
  /** rows × inputs. */
  readonly x: Tensor2D;
  /** rows × classes, one-hot. */
  readonly labels: Tensor2D;
  readonly lr: number;
  readonly mu: number;
  /** The round's starting weights, one per variable; used only when mu > 0. */
  readonly global: readonly Tensor[];
}

/** Updates `params` in place (assign) and returns the batch's mean cross-entropy before the update. */
export function sgdStep(tf: TfModule, spec: MlpSpec, params: readonly Variable[], batch: SgdBatch): Tensor {
  const layerCount = spec.layers.length - 1;
  const rows = batch.x.shape[0];
  // Forward, keeping each layer's input for the backward pass. One fused kernel per layer (matmul + bias +
  // relu); act′ is then read off the output: relu′(z) = step(h), tanh′(z) = 1 − h².
  const inputsOf: Tensor2D[] = [];
  let h = batch.x;
  for (let layer = 0; layer < layerCount; layer++) {
    inputsOf.push(h);
    const hidden = layer + 1 < layerCount;
    const z = tf.fused.matMul({
      a: h,
      b: params[2 * layer] as Tensor2D,
      bias: params[2 * layer + 1] as Tensor,
      ...(hidden && spec.activation === 'relu' ? { activation: 'relu' as const } : {}),
    }) as Tensor2D;
    h = hidden && spec.activation === 'tanh' ? tf.tanh(z) : z;
  }
  const logProbabilities = tf.logSoftmax(h);
  const loss = tf.div(tf.neg(tf.sum(tf.mul(batch.labels, logProbabilities))), rows);
  // δ of the logits, already multiplied by the learning rate: every ∂W below is then lr·∂W for free.
  let delta = tf.mul(tf.sub(tf.exp(logProbabilities), batch.labels), batch.lr / rows) as Tensor2D;
  for (let layer = layerCount - 1; layer >= 0; layer--) {
    const kernel = params[2 * layer] as Variable;
    const bias = params[2 * layer + 1] as Variable;
    const input = inputsOf[layer] as Tensor2D;
    const kernelStep = tf.matMul(tf.transpose(input), delta);
    const biasStep = tf.sum(delta, 0);
    if (layer > 0) {
      // Backpropagate through the kernel before it is updated.
      const upstream = tf.matMul(delta, kernel, false, true);
      // This layer's input is the previous layer's activation output h.
      const derivative = spec.activation === 'relu' ? tf.step(input) : tf.sub(1, tf.square(input));
      delta = tf.mul(upstream, derivative) as Tensor2D;
    }
    kernel.assign(proximal(tf, kernel, kernelStep, batch, 2 * layer));
    bias.assign(proximal(tf, bias, biasStep, batch, 2 * layer + 1));
  }
  return loss;
}

/** w − lr·∂L − lr·μ(w − w_global); the lr·∂L term arrives pre-scaled. */
function proximal(tf: TfModule, weights: Tensor, scaledGradient: Tensor, batch: SgdBatch, index: number): Tensor {
  const updated = tf.sub(weights, scaledGradient);
  if (batch.mu === 0) return updated;
  return tf.sub(updated, tf.mul(tf.sub(weights, batch.global[index] as Tensor), batch.lr * batch.mu));
}
