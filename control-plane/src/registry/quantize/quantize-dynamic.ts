/**
 * Owns dynamic int8 quantization of an fp32 ONNX model, the transformation of onnxruntime's
 * `quantize_dynamic` (IntegerOps mode, quantization/quantize.py): weights of MatMul, Gemm and Conv that are
 * constants become int8 initializers with scales; activations are quantized to uint8 at run time by
 * DynamicQuantizeLinear; the float op becomes MatMulInteger/ConvInteger rescaled back to float. Only standard
 * ai.onnx operators are emitted (opset 11+, raised if needed), so the model runs anywhere ONNX does. Works on the
 * top-level graph; nodes inside If/Loop/Scan bodies are reported as skipped. Pure function of its inputs.
 */
import { foldBatchNorms } from './fold-batch-norm.js';
import { allNodes, decodeModel, encodeModel, type GraphProto, isDefaultDomain, type NodeProto } from './onnx-graph.js';
import { planOpsetUpgrade } from './opset-upgrade.js';
import { RewriteContext } from './rewrite-context.js';
import { rewriteConv } from './rewrite-conv.js';
import { rewriteGemm, rewriteMatMul } from './rewrite-matmul.js';
import { nodeLabel, type Rewriter } from './rewriter.js';

export type QuantizableOp = 'MatMul' | 'Gemm' | 'Conv';

export interface QuantizeDynamicOptions {
  /**
   * Weights with fewer elements stay float: for tiny tensors the run-time quantize/rescale nodes cost more than
   * the integer kernel saves, and the bytes saved are negligible.
   */
  readonly minElements?: number;
  /** Operator types to quantize; others are left alone and not reported. */
  readonly ops?: readonly QuantizableOp[];
}

export interface QuantizedNode {
  readonly node: string;
  readonly op: string;
  /** Elements of the weight that is now int8. */
  readonly elements: number;
}

export interface SkippedNode {
  readonly node: string;
  readonly op: string;
  readonly reason: string;
}

export interface QuantizeDynamicResult {
  /** The quantized model; byte-identical to the input when no node was quantized. */
  readonly bytes: Uint8Array;
  readonly quantized: QuantizedNode[];
  readonly skipped: SkippedNode[];
}

const DEFAULTS = Object.freeze({
  minElements: 256,
  ops: Object.freeze(['MatMul', 'Gemm', 'Conv'] as const),
});

const REWRITERS: Readonly<Record<QuantizableOp, Rewriter>> = {
  MatMul: rewriteMatMul,
  Gemm: rewriteGemm,
  Conv: rewriteConv,
};

/** Throws ControlPlaneError MODEL_LOAD_FAILED when `bytes` are not an ONNX model. */
export function quantizeDynamic(bytes: Uint8Array, options: QuantizeDynamicOptions = {}): QuantizeDynamicResult {
  const minElements = options.minElements ?? DEFAULTS.minElements;
  if (!Number.isInteger(minElements) || minElements < 0) {
    throw new RangeError(`minElements must be a non-negative integer, got ${minElements}`);
  }
  const ops = new Set<string>(options.ops ?? DEFAULTS.ops);
  for (const op of ops) if (!Object.hasOwn(REWRITERS, op)) throw new RangeError(`cannot quantize ${op} nodes`);
  const model = decodeModel(bytes);
  const graph = model.graph as GraphProto;
  const isCandidate = (node: NodeProto) => ops.has(node.opType ?? '') && isDefaultDomain(node);
  const quantized: QuantizedNode[] = [];
  const skipped: SkippedNode[] = [];
  const report = (node: NodeProto, reason: string) =>
    skipped.push({ node: nodeLabel(node), op: node.opType ?? '', reason });

  const topLevel = new Set(graph.node ?? []);
  for (const node of allNodes(graph)) {
    if (!topLevel.has(node) && isCandidate(node)) report(node, 'inside a subgraph (If/Loop/Scan body)');
  }
  const upgrade = planOpsetUpgrade(model);
  if (!upgrade.ok) {
    for (const node of topLevel) if (isCandidate(node)) report(node, upgrade.reason);
    return { bytes: Uint8Array.from(bytes), quantized, skipped };
  }

  const context = new RewriteContext(model);
  if (ops.has('Conv')) foldBatchNorms(graph, context);
  for (const node of graph.node ?? []) {
    const outcome = isCandidate(node)
      ? REWRITERS[node.opType as QuantizableOp](node, context, { minElements })
      : undefined;
    if (outcome?.quantized) {
      quantized.push({ node: nodeLabel(node), op: node.opType as string, elements: outcome.elements });
      continue;
    }
    if (outcome) report(node, outcome.reason);
    context.nodes.push(node);
  }
  // Nothing to gain: hand back the input rather than a model that was only reformatted or BatchNorm-folded.
  if (quantized.length === 0) return { bytes: Uint8Array.from(bytes), quantized, skipped };

  graph.node = context.nodes;
  upgrade.apply(context);
  graph.initializer = [...(graph.initializer ?? []), ...context.initializers];
  context.pruneReplaced(graph);
  return { bytes: encodeModel(model), quantized, skipped };
}
