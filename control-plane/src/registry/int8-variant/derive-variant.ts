/**
 * Derives the int8 variant of an fp32 upload and decides whether it may be registered: quantizes the
 * weights (quantize/: dynamic int8, onnxruntime's IntegerOps transformation), runs both models on the
 * evaluation set — the self-test samples, then the optional evaluation samples — and measures the chosen
 * output (output-agreement.ts). A stateful model runs each set as one stream from the initial state in
 * each model, its own state fed back, as a device runs it. The variant is refused when nothing could be
 * quantized, when it fails to load or run, when its agreement is under `minAgreement`, or when labelled
 * accuracy drops more than `maxAccuracyDrop`. Mistakes in the request (an unknown output, labels that do
 * not fit, evaluation samples that do not fit the contract) are errors, not refusals: nothing is
 * registered for them. docs/adr/0002-int8-variants-at-registration.md.
 */
import type { ModelQuality, StatePair, Tensor, TensorMap } from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';
import { type ModelEngine, openEngine } from '../model-engines.js';
import { type QuantizedNode, quantizeDynamic, type SkippedNode } from '../quantize/index.js';
import { sampleFeeds } from '../samples/sample-feeds.js';
import { runSamples } from '../samples/sample-runs.js';
import { EVALUATION_LIMITS, type SampleSource } from '../samples/sample-source.js';
import { checkLabels, measureAccuracy, measureAgreement, type OutputPair } from './output-agreement.js';
import type { Int8VariantOptions } from './variant-options.js';

interface Nodes {
  readonly quantized: readonly QuantizedNode[];
  readonly skipped: readonly SkippedNode[];
}

export type Int8Verdict =
  | (Nodes & { readonly refused: false; readonly bytes: Uint8Array; readonly quality: ModelQuality })
  | (Nodes & { readonly refused: true; readonly message: string; readonly quality?: ModelQuality });

export interface DeriveOptions {
  /** The fp32 model and the version it is registered as. */
  readonly bytes: Uint8Array;
  readonly comparedWith: number;
  readonly samples: SampleSource;
  readonly state: readonly StatePair[];
  readonly variant: Int8VariantOptions;
  readonly evaluation?: SampleSource | undefined;
  readonly labels?: readonly number[] | undefined;
}

interface EvaluationSet {
  readonly name: 'samples' | 'evaluation';
  readonly feeds: readonly TensorMap[];
}

interface Context {
  readonly output: string;
  readonly state: readonly StatePair[];
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** The compared output: the one asked for, else the first output no state pair feeds back. */
function comparedOutput(engine: ModelEngine, options: DeriveOptions): string {
  const asked = options.variant.output;
  if (asked !== undefined) {
    if (engine.outputs.some((o) => o.name === asked)) return asked;
    throw new ControlPlaneError('BODY_INVALID', `int8Variant.output: the model has no output ${asked}`, {
      details: { field: 'int8Variant.output', outputs: engine.outputs.map((o) => o.name) },
    });
  }
  const stateOutputs = new Set(options.state.map((p) => p.output));
  return (engine.outputs.find((o) => !stateOutputs.has(o.name)) ?? engine.outputs[0])?.name as string;
}

/** The compared output of every call of every set, each set one stream when the model has state. */
async function outputsOf(engine: ModelEngine, sets: readonly EvaluationSet[], context: Context): Promise<Tensor[][]> {
  const out: Tensor[][] = [];
  for (const set of sets) {
    const runs = await runSamples({ engine, samples: set.feeds, state: context.state, set: set.name });
    out.push(runs.map((run) => run.outputs[context.output] as Tensor));
  }
  return out;
}

function pairsOf(reference: readonly Tensor[], candidate: readonly Tensor[]): OutputPair[] {
  return reference.map((r, i) => ({ reference: r, candidate: candidate[i] as Tensor }));
}

/** Runs the variant on the sets; a variant that cannot be loaded or run is a refusal, not an error. */
async function candidateOutputs(
  bytes: Uint8Array,
  sets: readonly EvaluationSet[],
  context: Context,
): Promise<Tensor[][] | string> {
  let engine: ModelEngine;
  try {
    engine = await openEngine('onnx', bytes);
  } catch (cause) {
    if (cause instanceof ControlPlaneError) return `onnxruntime cannot load the int8 variant: ${cause.message}`;
    throw cause;
  }
  try {
    return await outputsOf(engine, sets, context);
  } catch (cause) {
    if (cause instanceof ControlPlaneError) return `the int8 variant fails where the fp32 model runs: ${cause.message}`;
    throw cause;
  } finally {
    await engine.release();
  }
}

function verdictOf(quality: ModelQuality, options: DeriveOptions): string | undefined {
  const { minAgreement, maxAccuracyDrop } = options.variant;
  if (quality.agreement < minAgreement) {
    const unit = quality.metric === 'argmax' ? 'rows (predicted class)' : 'elements (within tolerance)';
    const agreed = Math.round(quality.agreement * quality.compared);
    return `the int8 variant agrees with v${quality.comparedWith} on ${percent(quality.agreement)} (${agreed} of ${quality.compared}) of the ${unit} of output ${quality.output}; minAgreement is ${percent(minAgreement)}`;
  }
  const drop =
    quality.accuracy === undefined || quality.referenceAccuracy === undefined
      ? undefined
      : quality.referenceAccuracy - quality.accuracy;
  if (maxAccuracyDrop !== undefined && drop !== undefined && drop > maxAccuracyDrop) {
    return `the int8 variant's accuracy ${percent(quality.accuracy as number)} is ${percent(drop)} below v${quality.comparedWith}'s ${percent(quality.referenceAccuracy as number)} on ${quality.labelled} labelled rows; maxAccuracyDrop is ${percent(maxAccuracyDrop)}`;
  }
  return undefined;
}

export async function deriveInt8Variant(options: DeriveOptions): Promise<Int8Verdict> {
  const { variant } = options;
  if (options.labels !== undefined && options.evaluation === undefined) {
    throw new ControlPlaneError('BODY_INVALID', 'evaluationLabels need evaluation samples to label', {
      details: { field: 'evaluationLabels' },
    });
  }
  const fp32 = await openEngine('onnx', options.bytes);
  let sets: EvaluationSet[];
  let context: Context;
  let reference: Tensor[][];
  try {
    context = { output: comparedOutput(fp32, options), state: options.state };
    const stateInputs = new Map(options.state.map((p) => [p.input, p.output]));
    const contract = { inputs: fp32.inputs.filter((s) => !stateInputs.has(s.name)), state: stateInputs };
    sets = [{ name: 'samples', feeds: sampleFeeds(options.samples, contract) }];
    if (options.evaluation !== undefined) {
      const feeds = sampleFeeds(options.evaluation, contract, {
        set: 'evaluation',
        maxSamples: EVALUATION_LIMITS.maxSamples,
      });
      sets.push({ name: 'evaluation', feeds });
    }
    reference = await outputsOf(fp32, sets, context);
  } finally {
    await fp32.release();
  }
  const labels = options.labels;
  if (labels !== undefined) checkLabels({ output: context.output, outputs: reference[1] ?? [], labels });

  const quantizeOptions = {
    ...(variant.ops === undefined ? {} : { ops: variant.ops }),
    ...(variant.minElements === undefined ? {} : { minElements: variant.minElements }),
  };
  let quantizedModel: ReturnType<typeof quantizeDynamic>;
  try {
    quantizedModel = quantizeDynamic(options.bytes, quantizeOptions);
  } catch (cause) {
    // onnxruntime loaded the file, yet its protobuf could not be rewritten: the fp32 version stands alone.
    if (!(cause instanceof ControlPlaneError)) throw cause;
    return { refused: true, message: `the model cannot be quantized: ${cause.message}`, quantized: [], skipped: [] };
  }
  const { bytes, quantized, skipped } = quantizedModel;
  const nodes = { quantized, skipped };
  if (quantized.length === 0) {
    const ops = (variant.ops ?? ['MatMul', 'Gemm', 'Conv']).join(', ');
    const first = skipped[0];
    const why = first === undefined ? `the model has no ${ops} node` : `${first.node}: ${first.reason}`;
    return { refused: true, message: `no ${ops} weight could be quantized (${why})`, ...nodes };
  }
  const candidate = await candidateOutputs(bytes, sets, context);
  if (typeof candidate === 'string') return { refused: true, message: candidate, ...nodes };

  const all = pairsOf(reference.flat(), candidate.flat());
  let agreement: ReturnType<typeof measureAgreement>;
  try {
    agreement = measureAgreement({ output: context.output, pairs: all, tolerance: variant.tolerance });
  } catch (cause) {
    if (cause instanceof ControlPlaneError && cause.code === 'QUANTIZATION_REJECTED') {
      return { refused: true, message: cause.message, ...nodes };
    }
    throw cause;
  }
  if (agreement.compared === 0) {
    return { refused: true, message: `output ${context.output} is empty on every evaluation call`, ...nodes };
  }
  const accuracy =
    labels === undefined ? undefined : measureAccuracy(pairsOf(reference[1] ?? [], candidate[1] ?? []), labels);
  const quality: ModelQuality = {
    comparedWith: options.comparedWith,
    output: context.output,
    metric: agreement.metric,
    ...(agreement.metric === 'tolerance' ? { tolerance: variant.tolerance } : {}),
    agreement: agreement.agreement,
    samples: all.length,
    compared: agreement.compared,
    maxAbsError: agreement.maxAbsError,
    meanAbsError: agreement.meanAbsError,
    ...(accuracy === undefined ? {} : { ...accuracy, accuracyDelta: accuracy.accuracy - accuracy.referenceAccuracy }),
  };
  const refusal = verdictOf(quality, options);
  return refusal === undefined
    ? { refused: false, bytes, quality, ...nodes }
    : { refused: true, message: refusal, quality, ...nodes };
}
