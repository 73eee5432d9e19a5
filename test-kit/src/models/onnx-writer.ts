/**
 * Owns turning trained MLP weights into ONNX ModelProto bytes, in two flavours: a plain float32 graph and an
 * int8 graph laid out the way onnxruntime's `quantize_dynamic` would emit it (per-tensor symmetric int8
 * weights, activations quantised at run time by DynamicQuantizeLinear, MatMulInteger, then rescaled to float).
 * One deliberate departure: int8 biases are bias-corrected (see correctedBias), which quantize_dynamic does not do.
 * Both graphs share input/output names and shapes so a device can swap one for the other. Output is a pure
 * function of the weights: no timestamps or random ids, so equal weights give byte-identical models.
 */
import onnxProto from 'onnx-proto';
import type { MlpWeights } from './train-mlp.js';

// onnx-proto is CommonJS assigning `module.exports = { onnx }`; Node exposes that only as the default export.
const { onnx } = onnxProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

export const IRIS_INPUT_NAME = 'features';
export const IRIS_OUTPUT_NAME = 'probabilities';
export type Precision = 'fp32' | 'int8';

const OPSET_VERSION = 17;
const IR_VERSION = 8;
const INT8_MAX = 127;
const { FLOAT, INT8 } = onnx.TensorProto.DataType;

export function buildIrisOnnx(weights: MlpWeights, precision: Precision): Uint8Array {
  const graph = new GraphBuilder();
  const hidden = dense(graph, {
    prefix: 'layer1',
    input: IRIS_INPUT_NAME,
    w: weights.w1,
    b: weights.b1,
    dims: [weights.inputSize, weights.hiddenSize],
    inputMean: weights.inputMean,
    precision,
  });
  const activated = graph.node('Relu', 'layer1/Relu', [hidden]);
  const logits = dense(graph, {
    prefix: 'layer2',
    input: activated,
    w: weights.w2,
    b: weights.b2,
    dims: [weights.hiddenSize, weights.outputSize],
    inputMean: weights.hiddenMean,
    precision,
  });
  graph.node('Softmax', 'Softmax', [logits], { outputs: [IRIS_OUTPUT_NAME], intAttributes: { axis: -1 } });

  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'edgefleet-test',
    graph: {
      name: `iris_mlp_${precision}`,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [floatMatrixInfo(IRIS_INPUT_NAME, weights.inputSize)],
      output: [floatMatrixInfo(IRIS_OUTPUT_NAME, weights.outputSize)],
    },
  });
  // protobufjs hands back a Node Buffer that may be a slice of a shared pool; copy so callers own plain bytes.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

interface DenseLayer {
  readonly prefix: string;
  readonly input: string;
  /** Row-major [dims[0], dims[1]]. */
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly dims: readonly [number, number];
  /** Typical input row; the int8 bias absorbs the weight rounding error at this point. */
  readonly inputMean: Float32Array;
  readonly precision: Precision;
}

/** Emits `input · w + b` and returns the name of the result. */
function dense(graph: GraphBuilder, layer: DenseLayer): string {
  const { prefix, input, dims } = layer;
  if (layer.precision === 'fp32') {
    const w = graph.initializer(floatTensor(`${prefix}.weight`, dims, layer.w));
    const bias = graph.initializer(floatTensor(`${prefix}.bias`, [dims[1]], layer.b));
    return graph.node('Add', `${prefix}/Add`, [graph.node('MatMul', `${prefix}/MatMul`, [input, w]), bias]);
  }
  const { values, scale } = quantizeSymmetric(layer.w);
  const bias = graph.initializer(floatTensor(`${prefix}.bias`, [dims[1]], correctedBias(layer, values, scale)));
  const wQuant = graph.initializer(tensor(`${prefix}.weight_quantized`, INT8, dims, new Uint8Array(values.buffer)));
  const wScale = graph.initializer(floatTensor(`${prefix}.weight_scale`, [], Float32Array.of(scale)));
  const wZeroPoint = graph.initializer(tensor(`${prefix}.weight_zero_point`, INT8, [], Uint8Array.of(0)));
  const xQuant = `${prefix}/input_quantized`;
  const xScale = `${prefix}/input_scale`;
  const xZeroPoint = `${prefix}/input_zero_point`;
  graph.node('DynamicQuantizeLinear', `${prefix}/DynamicQuantizeLinear`, [input], {
    outputs: [xQuant, xScale, xZeroPoint],
  });
  const accumulator = graph.node('MatMulInteger', `${prefix}/MatMulInteger`, [xQuant, wQuant, xZeroPoint, wZeroPoint]);
  const accumulatorFloat = graph.node('Cast', `${prefix}/Cast`, [accumulator], { intAttributes: { to: FLOAT } });
  const combinedScale = graph.node('Mul', `${prefix}/ScaleMul`, [xScale, wScale]);
  const rescaled = graph.node('Mul', `${prefix}/Mul`, [accumulatorFloat, combinedScale]);
  return graph.node('Add', `${prefix}/Add`, [rescaled, bias]);
}

/**
 * Raw iris features sit far from zero (~6 cm) while their spread is small, so rounding error in layer-1 weights
 * times the large mean input shifts every row alike; folding `mean · (w - dequantized w)` into the bias removes
 * that shared shift (standard post-training bias correction), cutting the weight-rounding error about four-fold.
 */
function correctedBias(layer: DenseLayer, quantized: Int8Array, scale: number): Float32Array {
  const [rows, cols] = layer.dims;
  return Float32Array.from(layer.b, (bias, col) => {
    let shift = 0;
    for (let row = 0; row < rows; row++) {
      const index = row * cols + col;
      shift += layer.inputMean[row]! * (layer.w[index]! - quantized[index]! * scale);
    }
    return bias + shift;
  });
}

/** Per-tensor symmetric: zero point 0 and ±127 (not -128) so the range is symmetric, as quantize_dynamic does. */
function quantizeSymmetric(w: Float32Array): { values: Int8Array; scale: number } {
  const maxAbs = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  // An all-zero tensor has no range; any positive scale reproduces it exactly.
  const scale = Math.fround(maxAbs > 0 ? maxAbs / INT8_MAX : 1);
  const values = Int8Array.from(w, (v) => Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(v / scale))));
  return { values, scale };
}

interface NodeOptions {
  /** Defaults to a single output named after the node. */
  readonly outputs?: string[];
  readonly intAttributes?: Record<string, number>;
}

class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];

  /** Appends a node and returns its first output name. */
  node(opType: string, name: string, inputs: string[], options: NodeOptions = {}): string {
    const outputs = options.outputs ?? [`${name}_output`];
    const attribute = Object.entries(options.intAttributes ?? {}).map(([key, i]) => ({
      name: key,
      type: onnx.AttributeProto.AttributeType.INT,
      i,
    }));
    this.nodes.push({ name, opType, input: inputs, output: outputs, attribute });
    return outputs[0] as string;
  }

  initializer(t: Tensor): string {
    this.initializers.push(t);
    return t.name as string;
  }
}

function floatTensor(name: string, dims: readonly number[], values: Float32Array): Tensor {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  // ONNX raw_data is little-endian whatever the host byte order.
  for (const [i, v] of values.entries()) view.setFloat32(i * 4, v, true);
  return tensor(name, FLOAT, dims, bytes);
}

function tensor(name: string, dataType: number, dims: readonly number[], rawData: Uint8Array): Tensor {
  return { name, dataType, dims: [...dims], rawData };
}

function floatMatrixInfo(name: string, columns: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: columns }] } } },
  };
}
