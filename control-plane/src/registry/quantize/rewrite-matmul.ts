/**
 * Owns the dynamic-quantization rewrite of MatMul and Gemm, after onnxruntime's MatMulInteger quantizer
 * (quantization/operators/matmul.py): int8 per-tensor weight, uint8 activation from DynamicQuantizeLinear,
 * MatMulInteger, Cast, Mul by the product of the two scales. onnxruntime quantizes Gemm only by first
 * rewriting it to MatMul + Add; here a Gemm is lowered directly: transB is applied to the constant weight
 * ahead of time, alpha is folded into the weight, beta into a constant bias, and the bias is added in float.
 */
import { floatAttribute, floatTensor, intAttribute, type NodeProto, toNumber } from './onnx-graph.js';
import type { RewriteContext } from './rewrite-context.js';
import { constantWeight, nodeLabel, type Outcome, type RewriteOptions, skip } from './rewriter.js';
import { quantizeSymmetric, transpose2d } from './weights.js';

export function rewriteMatMul(node: NodeProto, context: RewriteContext, options: RewriteOptions): Outcome {
  const [input, weightName] = node.input ?? [];
  const output = node.output?.[0];
  if (!input || !output) return skip('node has no activation input or output');
  const weight = constantWeight(context, weightName, options);
  if ('reason' in weight) return skip(weight.reason);
  if (weight.dims.length < 1) return skip(`weight "${weight.name}" is a scalar`);
  const quantizedWeight = context.weight(weight.name, 'as-is', () => {
    const { values, scales } = quantizeSymmetric(weight.values);
    return { dims: weight.dims, values, scales, scaleDims: [] };
  });
  context.emitIntegerOp({
    base: nodeLabel(node),
    opType: 'MatMulInteger',
    activation: context.activation(input),
    weight: quantizedWeight,
    output,
  });
  return { quantized: true, elements: weight.values.length };
}

export function rewriteGemm(node: NodeProto, context: RewriteContext, options: RewriteOptions): Outcome {
  const [input, weightName, biasName] = node.input ?? [];
  const output = node.output?.[0];
  if (!input || !output) return skip('node has no activation input or output');
  // Quantizing A^T would need a Transpose on the activation at run time; exporters practically never emit it.
  if (intAttribute(node, 'transA', 0) !== 0) return skip('transA=1 is not supported');
  const weight = constantWeight(context, weightName, options);
  if ('reason' in weight) return skip(weight.reason);
  if (weight.dims.length !== 2) return skip(`weight "${weight.name}" has rank ${weight.dims.length}, Gemm needs 2`);
  const transB = intAttribute(node, 'transB', 0) !== 0;
  const alpha = floatAttribute(node, 'alpha', 1);
  const beta = floatAttribute(node, 'beta', 1);
  const bias = biasName && beta !== 0 ? biasPlan(context, biasName, beta) : undefined;
  if (bias !== undefined && 'reason' in bias) return skip(bias.reason);

  const [rows, cols] = weight.dims as [number, number];
  const quantizedWeight = context.weight(
    weight.name,
    transB || alpha !== 1 ? `gemm:${transB}:${alpha}` : 'as-is',
    () => {
      // MatMulInteger has no transpose flag: store B as [K, N] once instead of transposing on every run.
      const laidOut = transB ? transpose2d(weight.values, rows, cols) : weight.values;
      const scaled = alpha === 1 ? laidOut : laidOut.map((v) => v * alpha);
      const { values, scales } = quantizeSymmetric(scaled);
      return { dims: transB ? [cols, rows] : [rows, cols], values, scales, scaleDims: [] };
    },
  );
  context.emitIntegerOp({
    base: nodeLabel(node),
    opType: 'MatMulInteger',
    activation: context.activation(input),
    weight: quantizedWeight,
    output,
    ...(bias === undefined ? {} : { bias: bias.make() }),
  });
  return { quantized: true, elements: weight.values.length };
}

/**
 * Gemm's C is unidirectionally broadcastable to [M, N], so `Add(A·B, beta·C)` matches Gemm exactly. A constant C
 * is scaled ahead of time; a C computed at run time can be added as is only when beta is 1.
 */
function biasPlan(
  context: RewriteContext,
  name: string,
  beta: number,
): { readonly make: () => string } | { readonly reason: string } {
  const tensor = context.constant(name);
  if (!tensor) {
    return beta === 1 ? { make: () => name } : { reason: `bias "${name}" is computed at run time and beta is ${beta}` };
  }
  if (beta === 1) return { make: () => name };
  const values = context.floats(name);
  if (!values) return { reason: `bias "${name}" is not a float32 constant` };
  return {
    make: () => {
      context.replaced.add(name);
      const dims = (tensor.dims ?? []).map(toNumber);
      return context.addInitializer(
        floatTensor(
          context.names.fresh(`${name}_beta`),
          dims,
          values.map((v) => v * beta),
        ),
      );
    },
  };
}
