/**
 * Owns the contract between the quantization pass and the per-operator rewrites (one file per operator family,
 * like onnxruntime's quantization/operators/): a rewrite either emits the integer replacement of a node or says
 * why the node stays float, before emitting anything. Also the weight check every rewrite starts with.
 */
import { elementCount, FLOAT, type NodeProto, readFloats, toNumber } from './onnx-graph.js';
import type { RewriteContext } from './rewrite-context.js';

export type Outcome =
  | { readonly quantized: true; readonly elements: number }
  | { readonly quantized: false; readonly reason: string };

export interface RewriteOptions {
  readonly minElements: number;
}

export type Rewriter = (node: NodeProto, context: RewriteContext, options: RewriteOptions) => Outcome;

export interface ConstantWeight {
  readonly name: string;
  readonly dims: number[];
  readonly values: Float32Array;
}

export function skip(reason: string): Outcome {
  return { quantized: false, reason };
}

/** How reports name a node: its name, or its first output for the many exporters that leave names empty. */
export function nodeLabel(node: NodeProto): string {
  return node.name || node.output?.[0] || '';
}

/** The float32 constant at `name`, or why it cannot be quantized ahead of time. */
export function constantWeight(
  context: RewriteContext,
  name: string | undefined,
  options: RewriteOptions,
): ConstantWeight | { readonly reason: string } {
  if (!name) return { reason: 'node has no weight input' };
  const tensor = context.constant(name);
  // Only constants can be quantized once, offline; a weight produced by another node (or a graph input the
  // caller may override) would need quantizing on every run, which is the activation path.
  if (!tensor && context.isGraphInput(name)) return { reason: `weight "${name}" is a graph input, set at run time` };
  if (!tensor) return { reason: `weight "${name}" is computed at run time` };
  if (tensor.dataType !== FLOAT)
    return { reason: `weight "${name}" has ONNX data type ${tensor.dataType}, not float32` };
  const elements = elementCount(tensor);
  if (elements < options.minElements) {
    return { reason: `weight "${name}" has ${elements} elements, below minElements ${options.minElements}` };
  }
  const values = readFloats(tensor);
  if (!values) return { reason: `weight "${name}" is stored outside the model or malformed` };
  return { name, dims: (tensor.dims ?? []).map(toNumber), values };
}
