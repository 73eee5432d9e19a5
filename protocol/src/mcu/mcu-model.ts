/**
 * The `mcu-int8` model format (DESIGN.md §6): a tiny int8 dense network — logistic regression with no hidden
 * layer, or a small MLP — that a microcontroller runs from flash, and its reference arithmetic. The control
 * plane computes a manifest's self-test vectors and drift reference with `runMcuModel`, the MCU emulator runs
 * the same function, and real firmware implements the same integer steps (TFLite-Micro style: int8 weights,
 * int32 accumulators, one float32 scale per tensor, per-feature input quantization folded in by the builder).
 *
 * Layout, little-endian (what a Cortex-M reads natively):
 *   'EFM1' · u8 format (1) · u8 layers (1-4) · u16 features · f32 inputOffset[features] · f32 inputScale[features]
 *   per layer: u16 inputs · u16 outputs · u8 activation (0 none, 1 relu) · u8 0 · f32 weightScale ·
 *              f32 outputScale (int8 scale of this layer's activations; 0 on the last layer) ·
 *              i8 weights[outputs × inputs] · zero padding to 4 bytes · i32 bias[outputs]
 * Arithmetic per row: q = clamp(round((x − offset) / scale), −127, 127); per layer acc = bias + Σ w·q (int32,
 * wrapping as on the MCU), real = float32(acc) × float32(inScale × weightScale) (inScale = 1 for the first
 * layer, else the previous layer's outputScale), ReLU if asked, then requantized for the next layer; the last
 * layer's values are logits and the output is their float32 softmax. round = half away from zero (C roundf).
 */
import { ProtocolError } from '../errors/edgefleet-error.js';

export const MCU_MODEL_LIMITS = Object.freeze({
  maxLayers: 4,
  maxWidth: 4096,
  maxBytes: 256 * 1024,
});

const MAGIC = [0x45, 0x46, 0x4d, 0x31]; // 'EFM1'
const FORMAT = 1;
const HEADER_BYTES = 8;
const LAYER_HEADER_BYTES = 14;

export type McuActivation = 'none' | 'relu';

export interface McuLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly activation: McuActivation;
  readonly weightScale: number;
  readonly outputScale: number;
  /** Row-major by output: weights[o * inputs + i]. */
  readonly weights: Int8Array;
  readonly bias: Int32Array;
}

export interface McuModel {
  readonly features: number;
  readonly inputOffset: Float32Array;
  readonly inputScale: Float32Array;
  readonly layers: readonly McuLayer[];
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function layerBytes(layer: { inputs: number; outputs: number }): number {
  const weights = layer.inputs * layer.outputs;
  return LAYER_HEADER_BYTES + weights + pad4(LAYER_HEADER_BYTES + weights) + 4 * layer.outputs;
}

function invalid(message: string): ProtocolError {
  return new ProtocolError('MODEL_LOAD_FAILED', `mcu-int8 model: ${message}`);
}

export function encodeMcuModel(model: McuModel): Uint8Array {
  const size = HEADER_BYTES + 8 * model.features + model.layers.reduce((n, l) => n + layerBytes(l), 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint8(4, FORMAT);
  view.setUint8(5, model.layers.length);
  view.setUint16(6, model.features, true);
  let at = HEADER_BYTES;
  for (const values of [model.inputOffset, model.inputScale]) {
    for (const value of values) {
      view.setFloat32(at, value, true);
      at += 4;
    }
  }
  for (const layer of model.layers) {
    view.setUint16(at, layer.inputs, true);
    view.setUint16(at + 2, layer.outputs, true);
    view.setUint8(at + 4, layer.activation === 'relu' ? 1 : 0);
    view.setFloat32(at + 6, layer.weightScale, true);
    view.setFloat32(at + 10, layer.outputScale, true);
    at += LAYER_HEADER_BYTES;
    bytes.set(new Uint8Array(layer.weights.buffer, layer.weights.byteOffset, layer.weights.length), at);
    at += layer.weights.length;
    at += pad4(LAYER_HEADER_BYTES + layer.weights.length);
    for (const b of layer.bias) {
      view.setInt32(at, b, true);
      at += 4;
    }
  }
  decodeMcuModel(bytes); // the encoder never produces a file the decoder refuses
  return bytes;
}

/** Parses and validates an image; throws ProtocolError MODEL_LOAD_FAILED naming what is wrong. */
export function decodeMcuModel(bytes: Uint8Array): McuModel {
  if (bytes.length > MCU_MODEL_LIMITS.maxBytes) throw invalid(`${bytes.length} bytes exceed the limit`);
  if (bytes.length < HEADER_BYTES || MAGIC.some((m, i) => bytes[i] !== m)) throw invalid('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(4) !== FORMAT) throw invalid(`unknown format ${view.getUint8(4)}`);
  const layerCount = view.getUint8(5);
  const features = view.getUint16(6, true);
  if (layerCount < 1 || layerCount > MCU_MODEL_LIMITS.maxLayers) throw invalid(`${layerCount} layers`);
  if (features < 1 || features > MCU_MODEL_LIMITS.maxWidth) throw invalid(`${features} features`);
  let at = HEADER_BYTES;
  const need = (n: number) => {
    if (at + n > bytes.length) throw invalid('truncated');
  };
  need(8 * features);
  const floats = (count: number) => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
    at += 4 * count;
    return out;
  };
  const inputOffset = floats(features);
  const inputScale = floats(features);
  if (!inputScale.every((s) => Number.isFinite(s) && s > 0) || !inputOffset.every(Number.isFinite)) {
    throw invalid('input quantization must be finite with positive scales');
  }
  const layers: McuLayer[] = [];
  let width = features;
  for (let l = 0; l < layerCount; l++) {
    need(LAYER_HEADER_BYTES);
    const inputs = view.getUint16(at, true);
    const outputs = view.getUint16(at + 2, true);
    const activationCode = view.getUint8(at + 4);
    const weightScale = view.getFloat32(at + 6, true);
    const outputScale = view.getFloat32(at + 10, true);
    const last = l === layerCount - 1;
    if (inputs !== width) throw invalid(`layer ${l} takes ${inputs} inputs, previous width is ${width}`);
    if (outputs < 1 || outputs > MCU_MODEL_LIMITS.maxWidth) throw invalid(`layer ${l} has ${outputs} outputs`);
    if (activationCode > 1) throw invalid(`layer ${l} has unknown activation ${activationCode}`);
    if (!(weightScale > 0 && Number.isFinite(weightScale))) throw invalid(`layer ${l} weight scale`);
    if (!(last ? outputScale === 0 : outputScale > 0 && Number.isFinite(outputScale))) {
      throw invalid(`layer ${l} output scale`);
    }
    at += LAYER_HEADER_BYTES;
    need(inputs * outputs);
    const weights = new Int8Array(bytes.buffer.slice(bytes.byteOffset + at, bytes.byteOffset + at + inputs * outputs));
    at += inputs * outputs + pad4(LAYER_HEADER_BYTES + inputs * outputs);
    need(4 * outputs);
    const bias = new Int32Array(outputs);
    for (let o = 0; o < outputs; o++) bias[o] = view.getInt32(at + 4 * o, true);
    at += 4 * outputs;
    layers.push({
      inputs,
      outputs,
      activation: activationCode === 1 ? 'relu' : 'none',
      weightScale,
      outputScale,
      weights,
      bias,
    });
    width = outputs;
  }
  if (at !== bytes.length) throw invalid(`${bytes.length - at} trailing bytes`);
  return { features, inputOffset, inputScale, layers };
}

export function mcuModelClasses(model: McuModel): number {
  return (model.layers.at(-1) as McuLayer).outputs;
}

/** RAM the MCU needs to run the model: two int8 activation buffers of the widest layer + float32 logits. */
export function mcuModelArenaBytes(model: McuModel): number {
  const widest = Math.max(model.features, ...model.layers.map((l) => l.outputs));
  return 2 * widest + 4 * mcuModelClasses(model);
}

/** C roundf: half away from zero. */
function roundHalfAway(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

function clampInt8(value: number): number {
  return Math.min(127, Math.max(-127, value));
}

/** Runs `rows` rows of `input` ([rows, features], row-major); returns [rows, classes] probabilities. */
export function runMcuModel(model: McuModel, input: Float32Array, rows: number): Float32Array {
  const { features } = model;
  if (input.length !== rows * features) throw invalid(`input has ${input.length} values for ${rows} × ${features}`);
  const classes = mcuModelClasses(model);
  const out = new Float32Array(rows * classes);
  const f = Math.fround;
  let current = new Int8Array(Math.max(features, ...model.layers.map((l) => l.outputs)));
  let next = new Int8Array(current.length);
  const logits = new Float32Array(classes);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < features; i++) {
      const x = input[r * features + i] as number;
      current[i] = clampInt8(
        roundHalfAway(f(f(x - (model.inputOffset[i] as number)) / (model.inputScale[i] as number))),
      );
    }
    let inScale = 1;
    for (const [l, layer] of model.layers.entries()) {
      const last = l === model.layers.length - 1;
      const scale = f(inScale * layer.weightScale);
      for (let o = 0; o < layer.outputs; o++) {
        let acc = layer.bias[o] as number;
        const row = o * layer.inputs;
        for (let i = 0; i < layer.inputs; i++)
          acc = (acc + Math.imul(layer.weights[row + i] as number, current[i] as number)) | 0;
        let real = f(f(acc) * scale);
        if (layer.activation === 'relu' && real < 0) real = 0;
        if (last) logits[o] = real;
        else next[o] = clampInt8(roundHalfAway(f(real / layer.outputScale)));
      }
      if (!last) {
        [current, next] = [next, current];
        inScale = layer.outputScale;
      }
    }
    let max = Number.NEGATIVE_INFINITY;
    for (const v of logits) if (v > max) max = v;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      logits[c] = f(Math.exp(f((logits[c] as number) - max)));
      sum = f(sum + (logits[c] as number));
    }
    for (let c = 0; c < classes; c++) out[r * classes + c] = f((logits[c] as number) / sum);
  }
  return out;
}
