/**
 * Owns the state one quantization pass shares between operator rewrites: which tensors are constants (graph
 * initializers and Constant nodes), the node list being rebuilt in topological order, the initializers added,
 * and the quantized forms already made, so an activation feeding several operators is quantized once by one
 * DynamicQuantizeLinear and a weight shared by several operators is stored once. It also emits the tail every
 * integer operator shares, in the exact shape onnxruntime's quantizer writes it.
 */
import {
  allNodes,
  FLOAT,
  floatTensor,
  type GraphProto,
  int8Tensor,
  intAttributeProto,
  type ModelProto,
  NameAllocator,
  type NodeProto,
  readFloats,
  type TensorProto,
  toNumber,
} from './onnx-graph.js';

export interface QuantizedTensor {
  readonly quantized: string;
  readonly scale: string;
  readonly zeroPoint: string;
}

export interface IntegerOp {
  /** Name of the float node being replaced (its name, or its output when unnamed). */
  readonly base: string;
  readonly opType: 'MatMulInteger' | 'ConvInteger';
  readonly activation: QuantizedTensor;
  readonly weight: QuantizedTensor;
  readonly attribute?: NodeProto['attribute'];
  /** The float node's output: the last emitted node writes it, so downstream nodes are untouched. */
  readonly output: string;
  /** Float bias added after rescaling, already shaped to broadcast against the output. */
  readonly bias?: string;
}

export class RewriteContext {
  readonly names: NameAllocator;
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  /** Float constants whose quantized or folded replacement exists; dropped at the end if nothing reads them. */
  readonly replaced = new Set<string>();
  readonly #constants = new Map<string, TensorProto>();
  readonly #overridable: ReadonlySet<string>;
  readonly #activations = new Map<string, QuantizedTensor>();
  readonly #weights = new Map<string, QuantizedTensor>();

  constructor(model: ModelProto) {
    const graph = model.graph as GraphProto;
    this.names = new NameAllocator(graph);
    // IR >= 4: an initializer that is also a graph input is only a default the caller may override at run time.
    this.#overridable = new Set(toNumber(model.irVersion) >= 4 ? (graph.input ?? []).map((i) => i.name ?? '') : []);
    for (const tensor of graph.initializer ?? []) {
      if (tensor.name && !this.#overridable.has(tensor.name)) this.#constants.set(tensor.name, tensor);
    }
    for (const node of graph.node ?? []) {
      const value = node.opType === 'Constant' ? node.attribute?.find((a) => a.name === 'value')?.t : undefined;
      const output = node.output?.[0];
      if (value && output) this.#constants.set(output, value);
    }
  }

  /** True for a graph input, including an initializer the caller may replace at run time. */
  isGraphInput(name: string): boolean {
    return this.#overridable.has(name);
  }

  constant(name: string | undefined): TensorProto | undefined {
    return name ? this.#constants.get(name) : undefined;
  }

  floats(name: string | undefined): Float32Array | undefined {
    const tensor = this.constant(name);
    return tensor ? readFloats(tensor) : undefined;
  }

  addInitializer(tensor: TensorProto): string {
    this.initializers.push(tensor);
    this.#constants.set(tensor.name as string, tensor);
    return tensor.name as string;
  }

  /** uint8 activation quantized at run time; one DynamicQuantizeLinear per tensor however many ops read it. */
  activation(input: string): QuantizedTensor {
    const known = this.#activations.get(input);
    if (known) return known;
    const made = {
      quantized: this.names.fresh(`${input}_quantized`),
      scale: this.names.fresh(`${input}_scale`),
      zeroPoint: this.names.fresh(`${input}_zero_point`),
    };
    this.nodes.push({
      name: this.names.fresh(`${input}_QuantizeLinear`),
      opType: 'DynamicQuantizeLinear',
      input: [input],
      output: [made.quantized, made.scale, made.zeroPoint],
    });
    this.#activations.set(input, made);
    return made;
  }

  /**
   * Int8 weight stored once per (source tensor, layout): `key` names the layout, `build` makes the tensors the
   * first time. Scales get `scaleDims` so they broadcast against the integer op's output.
   */
  weight(
    source: string,
    key: string,
    build: () => { dims: readonly number[]; values: Int8Array; scales: Float32Array; scaleDims: readonly number[] },
  ): QuantizedTensor {
    const cacheKey = `${source}\u0000${key}`;
    const known = this.#weights.get(cacheKey);
    if (known) return known;
    const { dims, values, scales, scaleDims } = build();
    const made = {
      quantized: this.addInitializer(int8Tensor(this.names.fresh(`${source}_quantized`), dims, values)),
      scale: this.addInitializer(floatTensor(this.names.fresh(`${source}_scale`), scaleDims, scales)),
      zeroPoint: this.addInitializer(int8Tensor(this.names.fresh(`${source}_zero_point`), [], new Int8Array(1))),
    };
    this.#weights.set(cacheKey, made);
    this.replaced.add(source);
    return made;
  }

  /**
   * integer op → Cast(float) → Mul(·, Mul(activation scale, weight scale)) [→ Add(·, bias)]: the node chain of
   * onnxruntime's MatMulInteger/ConvInteger quantizers, in the operand order its MatMulIntegerToFloatFusion
   * matches (scales as Mul(a, b), bias as the Add's second input), so a session fuses MatMul into one kernel.
   */
  emitIntegerOp(op: IntegerOp): void {
    const { base, activation, weight, output } = op;
    const integerOutput = this.names.fresh(`${output}_output_quantized`);
    const castOutput = this.names.fresh(`${integerOutput}_cast_output`);
    const scalesName = this.names.fresh(`${base}_quant_scales_mul`);
    const scales = this.names.fresh(`${scalesName}:0`);
    const scaled = op.bias === undefined ? output : this.names.fresh(`${output}_output_scaled`);
    this.nodes.push(
      {
        name: this.names.fresh(`${base}_quant`),
        opType: op.opType,
        input: [activation.quantized, weight.quantized, activation.zeroPoint, weight.zeroPoint],
        output: [integerOutput],
        attribute: op.attribute ?? [],
      },
      {
        name: this.names.fresh(`${integerOutput}_cast`),
        opType: 'Cast',
        input: [integerOutput],
        output: [castOutput],
        attribute: [intAttributeProto('to', FLOAT)],
      },
      { name: scalesName, opType: 'Mul', input: [activation.scale, weight.scale], output: [scales] },
      {
        name: this.names.fresh(`${base}_quant_output_scale_mul`),
        opType: 'Mul',
        input: [castOutput, scales],
        output: [scaled],
      },
    );
    if (op.bias !== undefined) {
      this.nodes.push({
        name: this.names.fresh(`${base}_quant_bias_add`),
        opType: 'Add',
        input: [scaled, op.bias],
        output: [output],
      });
    }
  }

  /** Drops replaced float constants that no node, subgraph or graph output reads any more. */
  pruneReplaced(graph: GraphProto): void {
    const used = new Set<string>((graph.output ?? []).map((o) => o.name as string));
    for (const node of allNodes(graph)) for (const input of node.input ?? []) used.add(input);
    const dead = new Set([...this.replaced].filter((name) => !used.has(name)));
    graph.initializer = (graph.initializer ?? []).filter((t) => !dead.has(t.name as string));
    graph.input = (graph.input ?? []).filter((i) => !dead.has(i.name as string));
    graph.valueInfo = (graph.valueInfo ?? []).filter((v) => !dead.has(v.name as string));
    graph.node = (graph.node ?? []).filter((n) => !(n.opType === 'Constant' && dead.has(n.output?.[0] as string)));
  }
}
