/**
 * Exports a federated MLP (protocol's MlpSpec + flat float32 parameters) as an ONNX model, so the result of
 * a training job deploys like any uploaded version: the registry loads it in onnxruntime, computes its
 * self-test vectors and signs it. Graph: per layer MatMul → Add, the spec's activation between layers,
 * Softmax at the end; input `features` [N, in], output `probabilities` [N, classes] — the same names the
 * agent's inference API and drift profile use. Pure function of its inputs: equal weights give equal bytes.
 */
import { type MlpSpec, mlpLayout, mlpParameterCount } from '@edgefleet/protocol';
import onnxProto from 'onnx-proto';
import { ControlPlaneError } from '../errors.js';

// onnx-proto is CommonJS assigning `module.exports = { onnx }`; Node exposes that only as the default export.
const { onnx } = onnxProto;
const { FLOAT } = onnx.TensorProto.DataType;
const OPSET_VERSION = 17;
const IR_VERSION = 8;
export const MLP_INPUT_NAME = 'features';
export const MLP_OUTPUT_NAME = 'probabilities';

export function exportMlpOnnx(spec: MlpSpec, weights: Float32Array): Uint8Array {
  if (weights.length !== mlpParameterCount(spec)) {
    throw new ControlPlaneError(
      'FL_UPDATE_INVALID',
      `weights have ${weights.length} values, spec needs ${mlpParameterCount(spec)}`,
    );
  }
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const layout = mlpLayout(spec);
  let current = MLP_INPUT_NAME;
  for (let layer = 0; layer * 2 < layout.length; layer++) {
    const kernel = layout[layer * 2];
    const bias = layout[layer * 2 + 1];
    if (kernel === undefined || bias === undefined) break;
    for (const slice of [kernel, bias]) {
      initializer.push(
        floatTensor(slice.name, slice.shape, weights.subarray(slice.offset, slice.offset + slice.length)),
      );
    }
    const product = `dense${layer}/MatMul_output`;
    const sum = `dense${layer}/Add_output`;
    nodes.push({ name: `dense${layer}/MatMul`, opType: 'MatMul', input: [current, kernel.name], output: [product] });
    nodes.push({ name: `dense${layer}/Add`, opType: 'Add', input: [product, bias.name], output: [sum] });
    current = sum;
    if ((layer + 1) * 2 < layout.length) {
      const op = spec.activation === 'relu' ? 'Relu' : 'Tanh';
      nodes.push({ name: `dense${layer}/${op}`, opType: op, input: [sum], output: [`dense${layer}/${op}_output`] });
      current = `dense${layer}/${op}_output`;
    }
  }
  const axis = { name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 };
  nodes.push({ name: 'Softmax', opType: 'Softmax', input: [current], output: [MLP_OUTPUT_NAME], attribute: [axis] });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'edgefleet-fl',
    graph: {
      name: `mlp_${spec.layers.join('_')}`,
      node: nodes,
      initializer,
      input: [matrixInfo(MLP_INPUT_NAME, spec.layers[0] as number)],
      output: [matrixInfo(MLP_OUTPUT_NAME, spec.layers.at(-1) as number)],
    },
  });
  // protobufjs may hand back a slice of a shared pool; copy so callers own plain bytes.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

function floatTensor(name: string, dims: readonly number[], values: Float32Array): onnxProto.onnx.ITensorProto {
  const rawData = new Uint8Array(values.length * 4);
  const view = new DataView(rawData.buffer);
  // ONNX raw_data is little-endian whatever the host byte order.
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  return { name, dataType: FLOAT, dims: [...dims], rawData };
}

function matrixInfo(name: string, columns: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: columns }] } } },
  };
}
