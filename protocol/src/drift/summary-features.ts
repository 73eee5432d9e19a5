/**
 * Drift features of models whose inputs are not tables (DESIGN.md §4 Drift): the manifest's `driftFeatures`
 * names, per input tensor, a summary computed for every sample (axis 0 is the sample axis) — the raw
 * elements of a small input (tabular columns), the per-channel mean or standard deviation of an image, the
 * RMS energy or zero-crossing rate of an audio frame — and for one named output the class vector whose
 * argmax histogram and confidence the profile's `output` block counts, plus optional confidence and entropy
 * features. The registry (reference profile) and the agent (live sketches) both call `summarizeForDrift`, so
 * a tensor yields bit-identical feature values on either side; the values then go through the same bins,
 * merges and PSI / JS / KS as tabular columns. Everything is exact arithmetic in float64 over the tensor's
 * elements: two-pass means and deviations, no FFT, no approximation.
 */
import { z } from 'zod';
import { float16ToNumber } from '../tensors/dtypes.js';
import { TENSOR_LIMITS, type Tensor, tensorNameSchema } from '../tensors/tensor.js';

/** Features a profile may hold (referenceProfileSchema `features`). */
export const MAX_DRIFT_FEATURES = 256;

const axisSchema = z
  .int()
  .min(1 - TENSOR_LIMITS.maxRank)
  .max(TENSOR_LIMITS.maxRank - 1)
  .refine((a) => a !== 0, 'axis 0 is the sample axis; name the channel axis (1 for NCHW, -1 for NHWC)');

export const inputSummarySchema = z.union([
  z.object({ input: tensorNameSchema, summary: z.enum(['raw', 'rms', 'zero-crossing-rate']) }),
  z.object({ input: tensorNameSchema, summary: z.enum(['channel-mean', 'channel-std']), axis: axisSchema }),
]);

export const OUTPUT_SUMMARIES = Object.freeze(['confidence', 'entropy'] as const);

export const driftFeaturesSchema = z
  .object({
    inputs: z.array(inputSummarySchema).max(64),
    output: z.object({
      /** The output whose per-sample values are the class vector (argmax histogram, confidence). */
      name: tensorNameSchema,
      /** Numeric features of that vector, appended after the input features. */
      summaries: z.array(z.enum(OUTPUT_SUMMARIES)).max(OUTPUT_SUMMARIES.length),
    }),
  })
  .refine((s) => s.inputs.length + s.output.summaries.length > 0, 'name at least one input or output summary')
  .refine(
    (s) => new Set(s.inputs.map((i) => `${i.input}\u0000${i.summary}`)).size === s.inputs.length,
    'each input summary may be named once per input',
  )
  .refine((s) => new Set(s.output.summaries).size === s.output.summaries.length, 'output summaries repeat');

export type InputSummary = z.infer<typeof inputSummarySchema>;
export type OutputSummary = (typeof OUTPUT_SUMMARIES)[number];
export type DriftFeatures = z.infer<typeof driftFeaturesSchema>;

/** Element values as numbers: the tensor's own array when it already holds numbers, a converted copy else. */
export type NumericArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int32Array;

export function numericView(tensor: Tensor): NumericArray {
  const { type, data } = tensor;
  if (type === 'float16') return Float64Array.from(data as Uint16Array, float16ToNumber);
  if (type === 'int64') return Float64Array.from(data as BigInt64Array, Number);
  return data as NumericArray;
}

/** One call's drift rows: `width` features and `classCount` class values per sample, row-major. */
export interface DriftRows {
  readonly rows: number;
  readonly width: number;
  readonly features: Float64Array;
  readonly classCount: number;
  /** The named output's values (a view of the tensor when it is float32). */
  readonly classes: NumericArray;
}

interface InputPlan {
  readonly summary: InputSummary;
  readonly data: NumericArray;
  /** Elements per sample. */
  readonly size: number;
  /** Features this summary adds per sample. */
  readonly width: number;
  /** channel summaries: blocks before the channel axis, channels, elements after it; zcr: last-axis length. */
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

type Plan = { readonly rows: number; readonly inputs: readonly InputPlan[]; readonly width: number };

function product(dims: readonly number[], from: number, to: number): number {
  let p = 1;
  for (let i = from; i < to; i++) p *= dims[i] as number;
  return p;
}

function planInput(summary: InputSummary, tensor: Tensor): InputPlan | string {
  const { dims } = tensor;
  const rank = dims.length;
  const where = `input ${summary.input} (${summary.summary})`;
  if (rank < 1) return `${where}: a scalar has no sample axis`;
  const size = product(dims, 1, rank);
  if (size === 0) return `${where}: a sample has no elements`;
  const base = { summary, data: numericView(tensor), size, outer: 1, channels: 1, inner: size };
  switch (summary.summary) {
    case 'raw':
      if (size > MAX_DRIFT_FEATURES) return `${where}: ${size} elements per sample, at most ${MAX_DRIFT_FEATURES}`;
      return { ...base, width: size };
    case 'rms':
      return { ...base, width: 1 };
    case 'zero-crossing-rate': {
      const last = dims[rank - 1] as number;
      if (rank < 2 || last < 2) return `${where}: needs a last axis of at least 2 samples per sample`;
      return { ...base, width: 1, inner: last };
    }
    case 'channel-mean':
    case 'channel-std': {
      const axis = summary.axis < 0 ? rank + summary.axis : summary.axis;
      if (axis < 1 || axis >= rank) return `${where}: axis ${summary.axis} is not a channel axis of rank ${rank}`;
      const channels = dims[axis] as number;
      return {
        ...base,
        width: channels,
        outer: product(dims, 1, axis),
        channels,
        inner: product(dims, axis + 1, rank),
      };
    }
  }
}

function planOf(
  spec: DriftFeatures,
  feeds: Readonly<Record<string, Tensor | undefined>>,
  output: Tensor,
): Plan | string {
  if (output.dims.length < 1) return `output ${spec.output.name}: a scalar has no sample axis`;
  const rows = output.dims[0] as number;
  const inputs: InputPlan[] = [];
  let width = spec.output.summaries.length;
  for (const summary of spec.inputs) {
    const tensor = feeds[summary.input];
    if (tensor === undefined) return `input ${summary.input} is missing`;
    if (tensor.dims[0] !== rows) {
      return `input ${summary.input} has ${tensor.dims[0]} samples, output ${spec.output.name} ${rows}`;
    }
    const plan = planInput(summary, tensor);
    if (typeof plan === 'string') return plan;
    inputs.push(plan);
    width += plan.width;
  }
  if (width > MAX_DRIFT_FEATURES) return `${width} drift features, at most ${MAX_DRIFT_FEATURES}`;
  return { rows, inputs, width };
}

/** Mean of channel `c` of sample `n`. */
function channelMean(p: InputPlan, n: number, c: number): number {
  const { data, outer, channels, inner } = p;
  let sum = 0;
  for (let o = 0; o < outer; o++) {
    const at = n * p.size + (o * channels + c) * inner;
    for (let i = 0; i < inner; i++) sum += data[at + i] as number;
  }
  return sum / (outer * inner);
}

/** Population standard deviation of channel `c` of sample `n` (two passes: no cancellation). */
function channelStd(p: InputPlan, n: number, c: number): number {
  const { data, outer, channels, inner } = p;
  const mean = channelMean(p, n, c);
  let sum = 0;
  for (let o = 0; o < outer; o++) {
    const at = n * p.size + (o * channels + c) * inner;
    for (let i = 0; i < inner; i++) {
      const d = (data[at + i] as number) - mean;
      sum += d * d;
    }
  }
  return Math.sqrt(sum / (outer * inner));
}

function rms(p: InputPlan, n: number): number {
  let sum = 0;
  for (let i = n * p.size, end = i + p.size; i < end; i++) sum += (p.data[i] as number) ** 2;
  return Math.sqrt(sum / p.size);
}

/** Sign changes between neighbours along the last axis, per neighbour pair (zero counts as positive). */
function zeroCrossingRate(p: InputPlan, n: number): number {
  const { data, inner: length } = p;
  const lines = p.size / length;
  let crossings = 0;
  for (let l = 0; l < lines; l++) {
    const at = n * p.size + l * length;
    let positive = (data[at] as number) >= 0;
    for (let i = 1; i < length; i++) {
      const next = (data[at + i] as number) >= 0;
      if (next !== positive) crossings++;
      positive = next;
    }
  }
  return crossings / (lines * (length - 1));
}

function writeInput(p: InputPlan, n: number, out: Float64Array, at: number): void {
  switch (p.summary.summary) {
    case 'raw':
      for (let j = 0; j < p.size; j++) out[at + j] = p.data[n * p.size + j] as number;
      return;
    case 'rms':
      out[at] = rms(p, n);
      return;
    case 'zero-crossing-rate':
      out[at] = zeroCrossingRate(p, n);
      return;
    case 'channel-mean':
      for (let c = 0; c < p.channels; c++) out[at + c] = channelMean(p, n, c);
      return;
    case 'channel-std':
      for (let c = 0; c < p.channels; c++) out[at + c] = channelStd(p, n, c);
      return;
  }
}

/** Largest value of the sample's class vector (the max softmax probability of a classifier). */
function confidence(values: NumericArray, at: number, count: number): number {
  let best = values[at] as number;
  for (let i = 1; i < count; i++) if ((values[at + i] as number) > best) best = values[at + i] as number;
  return best;
}

/**
 * Shannon entropy (nats) of the sample's class vector read as a distribution: negative values count as 0
 * and the rest is normalised, so probabilities and unnormalised scores both work; an all-zero vector is 0.
 */
function entropy(values: NumericArray, at: number, count: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += Math.max(0, values[at + i] as number);
  if (!(total > 0)) return 0;
  let h = 0;
  for (let i = 0; i < count; i++) {
    const p = Math.max(0, values[at + i] as number) / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

/**
 * The drift rows of one call: feeds and outputs as the model saw and returned them. A string says why
 * the tensors do not fit the spec (a missing tensor, a sample count that differs, an axis out of range).
 */
export function summarizeForDrift(
  spec: DriftFeatures,
  feeds: Readonly<Record<string, Tensor | undefined>>,
  outputs: Readonly<Record<string, Tensor | undefined>>,
): DriftRows | string {
  const output = outputs[spec.output.name];
  if (output === undefined) return `output ${spec.output.name} is missing`;
  const plan = planOf(spec, feeds, output);
  if (typeof plan === 'string') return plan;
  const { rows, width } = plan;
  const classes = numericView(output);
  const classCount = rows === 0 ? 0 : classes.length / rows;
  if (rows > 0 && classCount < 1) return `output ${spec.output.name} has no values per sample`;
  const features = new Float64Array(rows * width);
  for (let n = 0; n < rows; n++) {
    let at = n * width;
    for (const p of plan.inputs) {
      writeInput(p, n, features, at);
      at += p.width;
    }
    for (const summary of spec.output.summaries) {
      features[at++] = (summary === 'confidence' ? confidence : entropy)(classes, n * classCount, classCount);
    }
  }
  return { rows, width, features, classCount, classes };
}

/** Feature names for a profile, in the order `summarizeForDrift` writes them; at most 64 characters each. */
export function driftFeatureNames(
  spec: DriftFeatures,
  feeds: Readonly<Record<string, Tensor | undefined>>,
  outputs: Readonly<Record<string, Tensor | undefined>>,
): string[] | string {
  const output = outputs[spec.output.name];
  if (output === undefined) return `output ${spec.output.name} is missing`;
  const plan = planOf(spec, feeds, output);
  if (typeof plan === 'string') return plan;
  const name = (tensor: string, suffix: string) => `${tensor.slice(0, Math.max(1, 64 - suffix.length))}${suffix}`;
  const names: string[] = [];
  for (const p of plan.inputs) {
    const { input, summary } = p.summary;
    if (summary === 'raw') for (let j = 0; j < p.width; j++) names.push(name(input, `[${j}]`));
    else if (summary === 'channel-mean' || summary === 'channel-std') {
      const stat = summary === 'channel-mean' ? 'mean' : 'std';
      for (let c = 0; c < p.width; c++) names.push(name(input, `.${stat}[${c}]`));
    } else names.push(name(input, summary === 'rms' ? '.rms' : '.zcr'));
  }
  for (const summary of spec.output.summaries) names.push(name(spec.output.name, `.${summary}`));
  return names;
}
