/**
 * Owns folding an inference-mode BatchNormalization into the Conv that feeds it, the preprocessing
 * onnxruntime recommends before quantizing (quant_pre_process runs its graph optimizer, whose
 * ConvBNFusion does this). Unfolded, the BatchNorm would sit after ConvInteger's rescale as a separate float
 * op that no runtime fusion removes; folded, its per-channel scale lands in the weights, where per-channel
 * quantization absorbs it. y = γ(conv(x) + b − μ)/√(σ² + ε) + β  ⇒  W' = W·s, b' = (b − μ)·s + β, s = γ/√(σ² + ε).
 */
import {
  allNodes,
  floatAttribute,
  floatTensor,
  type GraphProto,
  intAttribute,
  isDefaultDomain,
  type NodeProto,
  toNumber,
} from './onnx-graph.js';
import type { RewriteContext } from './rewrite-context.js';

/** Folds every eligible Conv → BatchNormalization pair of the top-level graph; returns how many were folded. */
export function foldBatchNorms(graph: GraphProto, context: RewriteContext): number {
  const readers = new Map<string, number>();
  for (const name of (graph.output ?? []).map((o) => o.name as string)) readers.set(name, Infinity);
  // Subgraphs count: an If/Loop body may read the Conv output from the enclosing scope.
  for (const node of allNodes(graph)) {
    for (const input of node.input ?? []) readers.set(input, (readers.get(input) ?? 0) + 1);
  }
  const convByOutput = new Map<string, NodeProto>();
  for (const node of graph.node ?? []) {
    if (node.opType === 'Conv' && isDefaultDomain(node) && node.output?.[0]) convByOutput.set(node.output[0], node);
  }
  const folded = new Set<NodeProto>();
  for (const bn of graph.node ?? []) {
    if (bn.opType !== 'BatchNormalization' || !isDefaultDomain(bn)) continue;
    const conv = convByOutput.get(bn.input?.[0] ?? '');
    if (conv && readers.get(bn.input?.[0] ?? '') === 1 && fold(conv, bn, context)) folded.add(bn);
  }
  if (folded.size > 0) {
    const gone = new Set([...folded].map((bn) => bn.input?.[0]));
    graph.node = (graph.node ?? []).filter((node) => !folded.has(node));
    graph.valueInfo = (graph.valueInfo ?? []).filter((info) => !gone.has(info.name ?? ''));
  }
  return folded.size;
}

function fold(conv: NodeProto, bn: NodeProto, context: RewriteContext): boolean {
  // Training mode (opset 14+) and the pre-opset-9 non-spatial form normalise differently; outputs beyond Y
  // (running statistics) are only produced in training.
  if (intAttribute(bn, 'training_mode', 0) !== 0 || intAttribute(bn, 'spatial', 1) !== 1) return false;
  if ((bn.output ?? []).filter(Boolean).length !== 1) return false;
  const [input, weightName, biasName] = conv.input ?? [];
  const weight = context.floats(weightName);
  const dims = context.constant(weightName)?.dims?.map(toNumber);
  const [gamma, beta, mean, variance] = (bn.input ?? []).slice(1).map((name) => context.floats(name));
  if (!input || !weight || !dims || !gamma || !beta || !mean || !variance) return false;
  const channels = dims[0] as number;
  if ([gamma, beta, mean, variance].some((p) => p.length !== channels) || weight.length % channels !== 0) return false;
  const bias = biasName ? context.floats(biasName) : new Float32Array(channels);
  if (!bias || bias.length !== channels) return false;

  const epsilon = floatAttribute(bn, 'epsilon', 1e-5);
  const block = weight.length / channels;
  const foldedWeight = new Float32Array(weight.length);
  const foldedBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
    for (let i = c * block; i < (c + 1) * block; i++) foldedWeight[i] = (weight[i] as number) * s;
    foldedBias[c] = ((bias[c] as number) - (mean[c] as number)) * s + (beta[c] as number);
  }
  const base = conv.name || (conv.output?.[0] as string);
  const foldedWeightName = context.addInitializer(
    floatTensor(context.names.fresh(`${weightName}_bn`), dims, foldedWeight),
  );
  const foldedBiasName = context.addInitializer(
    floatTensor(context.names.fresh(`${base}_bn_bias`), [channels], foldedBias),
  );
  for (const name of [weightName, biasName, ...(bn.input ?? []).slice(1)]) if (name) context.replaced.add(name);
  conv.input = [input, foldedWeightName, foldedBiasName];
  conv.output = [bn.output?.[0] as string];
  return true;
}
