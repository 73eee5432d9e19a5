/**
 * Owns raising a model's ai.onnx opset to 11, the first that has DynamicQuantizeLinear. Operators keep their
 * meaning across most version bumps; the ones between opset 7 and 11 whose attributes became inputs (Slice
 * and TopK in 10, Clip and Pad in 11) are rewritten, BatchNormalization drops its opset-7 `spatial` flag, and a
 * model using an operator whose semantics changed in a way not rewritten here (Upsample, Resize, Scatter,
 * the opset-8 Scan) is refused up front so that it is never half converted. onnxruntime's quantizer simply
 * relabels such models as opset 11 (onnx_quantizer.check_opset_version), which breaks exactly these operators.
 */
import {
  allNodes,
  floatTensor,
  type GraphProto,
  int64Tensor,
  intAttribute,
  intsAttribute,
  isDefaultDomain,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  toNumber,
} from './onnx-graph.js';
import type { RewriteContext } from './rewrite-context.js';

export const QUANTIZE_OPSET = 11;
// Below 7, elementwise ops carry the legacy `broadcast` attribute and many ops `consumed_inputs`.
const OLDEST_UPGRADABLE = 7;
// ONNX IR version 6 is the one released with opset 11.
const IR_FOR_OPSET_11 = 6;

type Conversion =
  | { readonly since: number; readonly convert: (node: NodeProto, context: RewriteContext) => void }
  | { readonly since: number; readonly refuse: true };

/** `since`: the opset whose schema this conversion bridges to; models at or above it need nothing. */
const CONVERSIONS: Readonly<Record<string, Conversion>> = {
  BatchNormalization: { since: 9, convert: (node) => dropAttributes(node, ['spatial']) },
  Scan: { since: 9, refuse: true },
  Slice: { since: 10, convert: sliceToInputs },
  TopK: { since: 10, convert: topKToInput },
  Upsample: { since: 10, refuse: true },
  Clip: { since: 11, convert: clipToInputs },
  Pad: { since: 11, convert: padToInputs },
  Resize: { since: 11, refuse: true },
  Scatter: { since: 11, refuse: true },
};

export type OpsetUpgrade =
  | { readonly ok: true; readonly apply: (context: RewriteContext) => void }
  | { readonly ok: false; readonly reason: string };

export function planOpsetUpgrade(model: ModelProto): OpsetUpgrade {
  const imports = (model.opsetImport ?? []).filter((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = imports[0];
  if (imports.length !== 1 || !opset) return { ok: false, reason: 'model does not import exactly one ai.onnx opset' };
  const from = toNumber(opset.version);
  if (from >= QUANTIZE_OPSET) return { ok: true, apply: () => {} };
  if (from < OLDEST_UPGRADABLE) return { ok: false, reason: `model opset ${from} is older than ${OLDEST_UPGRADABLE}` };
  const graph = model.graph as GraphProto;
  const pending = [...allNodes(graph)].filter((node) => {
    const conversion = isDefaultDomain(node) ? CONVERSIONS[node.opType ?? ''] : undefined;
    return conversion !== undefined && from < conversion.since;
  });
  for (const node of pending) {
    const conversion = CONVERSIONS[node.opType ?? ''] as Conversion;
    if ('refuse' in conversion || (node.opType === 'BatchNormalization' && intAttribute(node, 'spatial', 1) === 0)) {
      return {
        ok: false,
        reason: `model opset ${from} uses ${node.opType}, which changed meaning before opset ${QUANTIZE_OPSET}`,
      };
    }
  }
  return {
    ok: true,
    apply: (context) => {
      for (const node of pending) {
        const conversion = CONVERSIONS[node.opType ?? ''];
        if (conversion && 'convert' in conversion) conversion.convert(node, context);
      }
      opset.version = QUANTIZE_OPSET;
      if (toNumber(model.irVersion) < IR_FOR_OPSET_11) model.irVersion = IR_FOR_OPSET_11;
    },
  };
}

function dropAttributes(node: NodeProto, names: readonly string[]): void {
  node.attribute = (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
}

/** A constant input named after the node; initializers of the main graph are visible inside subgraphs too. */
function constantInput(
  context: RewriteContext,
  node: NodeProto,
  suffix: string,
  make: (name: string) => TensorProto,
): string {
  const name = context.names.fresh(`${node.name || node.output?.[0]}_${suffix}`);
  return context.addInitializer(make(name));
}

/** Slice-1 starts/ends/axes attributes → Slice-10 inputs. */
function sliceToInputs(node: NodeProto, context: RewriteContext): void {
  const starts = intsAttribute(node, 'starts') ?? [];
  const ends = intsAttribute(node, 'ends') ?? [];
  const axes = intsAttribute(node, 'axes');
  const inputs = [
    node.input?.[0] ?? '',
    constantInput(context, node, 'starts', (name) => int64Tensor(name, starts)),
    constantInput(context, node, 'ends', (name) => int64Tensor(name, ends)),
  ];
  if (axes) inputs.push(constantInput(context, node, 'axes', (name) => int64Tensor(name, axes)));
  node.input = inputs;
  dropAttributes(node, ['starts', 'ends', 'axes']);
}

/** TopK-1 `k` attribute → TopK-10 input of shape [1]. */
function topKToInput(node: NodeProto, context: RewriteContext): void {
  const k = intAttribute(node, 'k', 0);
  node.input = [node.input?.[0] ?? '', constantInput(context, node, 'k', (name) => int64Tensor(name, [k]))];
  dropAttributes(node, ['k']);
}

/** Clip-6 min/max attributes → Clip-11 optional scalar inputs (float32, the type quantized models run in). */
function clipToInputs(node: NodeProto, context: RewriteContext): void {
  const bound = (name: 'min' | 'max') => {
    const found = node.attribute?.find((a) => a.name === name);
    return found ? constantInput(context, node, name, (n) => floatTensor(n, [], Float32Array.of(found.f ?? 0))) : '';
  };
  const min = bound('min');
  const max = bound('max');
  node.input = max ? [node.input?.[0] ?? '', min, max] : min ? [node.input?.[0] ?? '', min] : [node.input?.[0] ?? ''];
  dropAttributes(node, ['min', 'max']);
}

/** Pad-2 pads/value attributes → Pad-11 inputs; `mode` stays an attribute. */
function padToInputs(node: NodeProto, context: RewriteContext): void {
  const pads = intsAttribute(node, 'pads') ?? [];
  const value = node.attribute?.find((a) => a.name === 'value')?.f ?? 0;
  const inputs = [node.input?.[0] ?? '', constantInput(context, node, 'pads', (name) => int64Tensor(name, pads))];
  // Pad-11's constant_value defaults to 0, like Pad-2's value attribute.
  if (value !== 0) {
    inputs.push(constantInput(context, node, 'value', (name) => floatTensor(name, [], Float32Array.of(value))));
  }
  node.input = inputs;
  dropAttributes(node, ['pads', 'value']);
}
