/**
 * The reference profile a manifest carries (DESIGN.md §4–5): what the model's inputs and outputs looked
 * like on the reference dataset it was registered with. Per numeric feature: decile edges (minimum to
 * maximum, with an underflow and an overflow bin), bin counts, mean and variance; per categorical feature: the
 * top-K codes and their counts plus "other"; for the output: the predicted-class histogram and the
 * mean/variance of the prediction confidence (max value). Features are the raw columns of a tabular model,
 * or — when `driftFeatures` is present — the summary features it names (summary-features.ts), input
 * summaries first, then output summaries. Devices count their live data into the same bins; the control
 * plane compares the two.
 */
import { z } from 'zod';
import { categoricalBin, NUMERIC_BIN_COUNT, NUMERIC_EDGE_COUNT, numericBin, quantileSorted } from './binning.js';
import { type Moments, mergeMoments, momentsSchema } from './moments.js';
import { type DriftFeatures, driftFeaturesSchema, MAX_DRIFT_FEATURES } from './summary-features.js';

const count = z.int().nonnegative();
const featureName = z.string().min(1).max(64);

export const numericFeatureProfileSchema = z.object({
  name: featureName,
  kind: z.literal('numeric'),
  edges: z
    .array(z.number())
    .length(NUMERIC_EDGE_COUNT)
    .refine((e) => e.every((x, i) => i === 0 || (e[i - 1] as number) <= x), 'edges must be non-decreasing'),
  counts: z.array(count).length(NUMERIC_BIN_COUNT),
  moments: momentsSchema,
});

export const categoricalFeatureProfileSchema = z
  .object({
    name: featureName,
    kind: z.literal('categorical'),
    categories: z.array(z.number()).min(1).max(64),
    counts: z.array(count),
  })
  .refine((f) => f.counts.length === f.categories.length + 1, 'counts need one entry per category plus "other"');

export const featureProfileSchema = z.union([numericFeatureProfileSchema, categoricalFeatureProfileSchema]);

export const referenceProfileSchema = z
  .object({
    sampleCount: z.int().min(1),
    features: z.array(featureProfileSchema).min(1).max(MAX_DRIFT_FEATURES),
    output: z.object({
      /** Histogram of argmax classes (one bin for a single-value output such as a sigmoid score). */
      counts: z.array(count).min(1).max(1024),
      confidence: momentsSchema,
    }),
    /** How features are computed from named tensors; absent: the raw columns of the one [N, F] input. */
    driftFeatures: driftFeaturesSchema.optional(),
  })
  .refine(
    (p) => (p.driftFeatures?.output.summaries.length ?? 0) <= p.features.length,
    'the profile has fewer features than its output summaries',
  );

export type NumericFeatureProfile = z.infer<typeof numericFeatureProfileSchema>;
export type CategoricalFeatureProfile = z.infer<typeof categoricalFeatureProfileSchema>;
export type FeatureProfile = z.infer<typeof featureProfileSchema>;
export type ReferenceProfile = z.infer<typeof referenceProfileSchema>;

export const REFERENCE_DEFAULTS = Object.freeze({ topK: 10 });

export interface BuildProfileOptions {
  /** Reference inputs, one row per sample. */
  readonly rows: readonly (readonly number[])[];
  /** The model's outputs (class probabilities) for those rows. */
  readonly outputs: readonly (readonly number[])[];
  readonly featureNames?: readonly string[];
  /** Indices of categorical features (their values are category codes). */
  readonly categorical?: readonly number[];
  readonly topK?: number;
  /** The summary features the rows hold (recorded in the profile so devices compute the same ones). */
  readonly driftFeatures?: DriftFeatures;
}

export function argmax(values: ArrayLike<number>, offset = 0, length = values.length - offset): number {
  let best = 0;
  for (let i = 1; i < length; i++) if ((values[offset + i] as number) > (values[offset + best] as number)) best = i;
  return best;
}

function momentsOf(values: readonly number[]): Moments {
  let m: Moments = { n: 0, mean: 0, m2: 0 };
  for (const x of values) m = mergeMoments(m, { n: 1, mean: x, m2: 0 });
  return m;
}

function numericProfile(name: string, values: readonly number[]): NumericFeatureProfile {
  const sorted = [...values].sort((a, b) => a - b);
  const edges = Array.from({ length: NUMERIC_EDGE_COUNT }, (_, i) => quantileSorted(sorted, i / 10));
  const counts = new Array<number>(NUMERIC_BIN_COUNT).fill(0);
  for (const x of values) counts[numericBin(edges, x)]! += 1;
  return { name, kind: 'numeric', edges, counts, moments: momentsOf(values) };
}

function categoricalProfile(name: string, values: readonly number[], topK: number): CategoricalFeatureProfile {
  const frequency = new Map<number, number>();
  for (const x of values) frequency.set(x, (frequency.get(x) ?? 0) + 1);
  // most frequent first; ties by code so the profile is deterministic
  const categories = [...frequency.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, topK)
    .map(([code]) => code);
  const counts = new Array<number>(categories.length + 1).fill(0);
  for (const x of values) counts[categoricalBin(categories, x)]! += 1;
  return { name, kind: 'categorical', categories, counts };
}

export function buildReferenceProfile(options: BuildProfileOptions): ReferenceProfile {
  const { rows, outputs } = options;
  if (rows.length === 0 || rows.length !== outputs.length) {
    throw new RangeError('a reference profile needs at least one row and one output per row');
  }
  const width = (rows[0] as readonly number[]).length;
  const categorical = new Set(options.categorical ?? []);
  const features = Array.from({ length: width }, (_, f) => {
    const name = options.featureNames?.[f] ?? `f${f}`;
    const values = rows.map((r) => r[f] as number);
    return categorical.has(f)
      ? categoricalProfile(name, values, options.topK ?? REFERENCE_DEFAULTS.topK)
      : numericProfile(name, values);
  });
  const classes = (outputs[0] as readonly number[]).length;
  const counts = new Array<number>(classes).fill(0);
  const confidences: number[] = [];
  for (const out of outputs) {
    counts[argmax(out)]! += 1;
    confidences.push(Math.max(...out));
  }
  return {
    sampleCount: rows.length,
    features,
    output: { counts, confidence: momentsOf(confidences) },
    ...(options.driftFeatures === undefined ? {} : { driftFeatures: options.driftFeatures }),
  };
}

/** How many of the profile's features are output summaries (they come last). */
export function outputFeatureCount(profile: ReferenceProfile): number {
  return profile.driftFeatures?.output.summaries.length ?? 0;
}

/** Number of bins a feature's sketch must have under this profile. */
export function binCountOf(feature: FeatureProfile): number {
  return feature.kind === 'numeric' ? NUMERIC_BIN_COUNT : feature.categories.length + 1;
}
