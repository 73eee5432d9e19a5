/**
 * Owns the dynamic-quantization rewrite of Conv, after onnxruntime's ConvInteger quantizer
 * (quantization/operators/conv.py): uint8 activation from DynamicQuantizeLinear, int8 weight, ConvInteger with
 * the float node's attributes, Cast, Mul by the scales, then the float bias. onnxruntime 1.30's CPU kernel
 * accepts int8 weights (early releases wanted uint8) but only a per-tensor zero point (conv_integer.cc:
 * "Non per-tensor quantization is not supported now"). So weights are scaled per output channel with a shared
 * zero point 0, the scale applied after the integer convolution where a [M, 1, 1] tensor broadcasts: per-channel
 * matters here because folded BatchNorms give channels very different ranges.
 */
import { floatTensor, intAttribute, type NodeProto } from './onnx-graph.js';
import type { RewriteContext } from './rewrite-context.js';
import { constantWeight, nodeLabel, type Outcome, type RewriteOptions, skip } from './rewriter.js';
import { quantizeSymmetric } from './weights.js';

export function rewriteConv(node: NodeProto, context: RewriteContext, options: RewriteOptions): Outcome {
  const [input, weightName, biasName] = node.input ?? [];
  const output = node.output?.[0];
  if (!input || !output) return skip('node has no activation input or output');
  const group = intAttribute(node, 'group', 1);
  // conv_integer.cc runs one im2col + GEMM per group: for a depthwise conv that is hundreds of 1-row GEMMs,
  // several times slower than the float kernel, and depthwise layers lose the most accuracy to quantization.
  if (group !== 1) return skip(`grouped convolution (group=${group}) runs slower as ConvInteger than as Conv`);
  const weight = constantWeight(context, weightName, options);
  if ('reason' in weight) return skip(weight.reason);
  if (weight.dims.length < 3) {
    return skip(`weight "${weight.name}" has rank ${weight.dims.length}, Conv needs 3 or more`);
  }
  const channels = weight.dims[0] as number;
  // Shape that broadcasts one value per output channel against the [N, M, spatial...] output.
  const channelDims = [channels, ...weight.dims.slice(2).map(() => 1)];
  let bias: Float32Array | undefined;
  if (biasName) {
    bias = context.floats(biasName);
    if (!bias) return skip(`bias "${biasName}" is computed at run time or not float32`);
    if (bias.length !== channels) return skip(`bias "${biasName}" has ${bias.length} values for ${channels} channels`);
  }

  const quantizedWeight = context.weight(weight.name, 'per-channel', () => {
    const { values, scales } = quantizeSymmetric(weight.values, channels);
    return { dims: weight.dims, values, scales, scaleDims: channelDims };
  });
  const activation = context.activation(input);
  let biasInput: string | undefined;
  if (biasName && bias) {
    context.replaced.add(biasName);
    biasInput = context.addInitializer(floatTensor(context.names.fresh(`${biasName}_reshaped`), channelDims, bias));
  }
  context.emitIntegerOp({
    base: nodeLabel(node),
    opType: 'ConvInteger',
    activation,
    weight: quantizedWeight,
    attribute: node.attribute ?? [],
    output,
    ...(biasInput === undefined ? {} : { bias: biasInput }),
  });
  return { quantized: true, elements: weight.values.length };
}
