/**
 * Drift sketches: a device's statistics for one model version over one window — per feature, integer counts
 * over the reference profile's bins plus Welford moments; for the output, the predicted-class histogram and
 * the confidence moments. Counts merge exactly (integer addition), moments by Chan's formula, so the control
 * plane can merge any set of device windows into the sketch of their concatenated data.
 */
import { z } from 'zod';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { modelLineSchema, timestampMsSchema, versionSchema } from '../messages/primitives.js';
import { categoricalBin, numericBin } from './binning.js';
import { EMPTY_MOMENTS, type Moments, mergeMoments, momentsSchema } from './moments.js';
import { argmax, binCountOf, type ReferenceProfile } from './profile.js';

const count = z.int().nonnegative();

export const featureSketchSchema = z.object({ bins: z.array(count).min(1).max(1024), moments: momentsSchema });

export const driftSketchBodySchema = z.object({
  line: modelLineSchema,
  version: versionSchema,
  windowStartMs: timestampMsSchema,
  windowEndMs: timestampMsSchema,
  /** Rows (samples) counted in this window. */
  count,
  features: z.array(featureSketchSchema).min(1).max(256),
  output: z.object({ bins: z.array(count).min(1).max(1024), confidence: momentsSchema }),
});

export type FeatureSketch = z.infer<typeof featureSketchSchema>;
export type DriftSketch = z.infer<typeof driftSketchBodySchema>;

/**
 * Throws SKETCH_INVALID unless the sketch has the profile's shape and is internally consistent: one bin
 * vector per feature of the right length, and every feature (and the output) accounts for every row once.
 */
export function validateSketch(sketch: DriftSketch, profile: ReferenceProfile): void {
  const fail = (message: string) =>
    new ProtocolError('SKETCH_INVALID', `${sketch.line} v${sketch.version}: ${message}`, {
      details: { line: sketch.line, version: sketch.version },
    });
  if (sketch.features.length !== profile.features.length) {
    throw fail(`${sketch.features.length} feature sketches, the profile has ${profile.features.length}`);
  }
  sketch.features.forEach((feature, i) => {
    const expected = binCountOf(profile.features[i]!);
    if (feature.bins.length !== expected)
      throw fail(`feature ${i} has ${feature.bins.length} bins, expected ${expected}`);
    const total = feature.bins.reduce((a, b) => a + b, 0);
    if (total !== sketch.count || feature.moments.n !== sketch.count) {
      throw fail(`feature ${i} counts ${total} rows (moments ${feature.moments.n}), the window has ${sketch.count}`);
    }
  });
  if (sketch.output.bins.length !== profile.output.counts.length) {
    throw fail(`output has ${sketch.output.bins.length} classes, expected ${profile.output.counts.length}`);
  }
  if (sketch.output.bins.reduce((a, b) => a + b, 0) !== sketch.count || sketch.output.confidence.n !== sketch.count) {
    throw fail('output histogram does not count every row once');
  }
  if (sketch.windowEndMs < sketch.windowStartMs) throw fail('window ends before it starts');
}

/** Merges two sketches of the same model version and shape; the window spans both. */
export function mergeSketches(a: DriftSketch, b: DriftSketch): DriftSketch {
  if (a.line !== b.line || a.version !== b.version || a.features.length !== b.features.length) {
    throw new ProtocolError('SKETCH_INVALID', 'cannot merge sketches of different model versions or shapes');
  }
  const addBins = (x: readonly number[], y: readonly number[]) => {
    if (x.length !== y.length) throw new ProtocolError('SKETCH_INVALID', 'cannot merge bins of different lengths');
    return x.map((v, i) => v + (y[i] as number));
  };
  return {
    line: a.line,
    version: a.version,
    windowStartMs: Math.min(a.windowStartMs, b.windowStartMs),
    windowEndMs: Math.max(a.windowEndMs, b.windowEndMs),
    count: a.count + b.count,
    features: a.features.map((f, i) => ({
      bins: addBins(f.bins, b.features[i]!.bins),
      moments: mergeMoments(f.moments, b.features[i]!.moments),
    })),
    output: {
      bins: addBins(a.output.bins, b.output.bins),
      confidence: mergeMoments(a.output.confidence, b.output.confidence),
    },
  };
}

/**
 * Counts rows into a sketch on the device. The hot path (`addRows`) works on flat typed arrays with no
 * allocation: a binary search over 11 edges and a Welford step per feature, an argmax per output row.
 */
export class SketchAccumulator {
  readonly #profile: ReferenceProfile;
  readonly #bins: Uint32Array[];
  readonly #n: Float64Array;
  readonly #mean: Float64Array;
  readonly #m2: Float64Array;
  readonly #outputBins: Uint32Array;
  #confidence: Moments = { ...EMPTY_MOMENTS };
  #count = 0;

  constructor(profile: ReferenceProfile) {
    this.#profile = profile;
    this.#bins = profile.features.map((f) => new Uint32Array(binCountOf(f)));
    const width = profile.features.length;
    this.#n = new Float64Array(width);
    this.#mean = new Float64Array(width);
    this.#m2 = new Float64Array(width);
    this.#outputBins = new Uint32Array(profile.output.counts.length);
  }

  get count(): number {
    return this.#count;
  }

  /** `inputs` is [rows, features] flat; `outputs` is [rows, classes] flat (probabilities or scores). */
  addRows(inputs: ArrayLike<number>, outputs: ArrayLike<number>, rows: number): void {
    const features = this.#profile.features;
    const width = features.length;
    const classes = this.#outputBins.length;
    for (let r = 0; r < rows; r++) {
      for (let f = 0; f < width; f++) {
        const x = inputs[r * width + f] as number;
        const profile = features[f]!;
        const bin = profile.kind === 'numeric' ? numericBin(profile.edges, x) : categoricalBin(profile.categories, x);
        (this.#bins[f] as Uint32Array)[bin]! += 1;
        // Welford 1962
        const n = (this.#n[f] as number) + 1;
        const delta = x - (this.#mean[f] as number);
        this.#n[f] = n;
        this.#mean[f] = (this.#mean[f] as number) + delta / n;
        this.#m2[f] = (this.#m2[f] as number) + delta * (x - (this.#mean[f] as number));
      }
      const best = argmax(outputs, r * classes, classes);
      this.#outputBins[best]! += 1;
      const confidence = outputs[r * classes + best] as number;
      const c = this.#confidence;
      const n = c.n + 1;
      const delta = confidence - c.mean;
      c.n = n;
      c.mean += delta / n;
      c.m2 += delta * (confidence - c.mean);
    }
    this.#count += rows;
  }

  snapshot(meta: { line: string; version: number; windowStartMs: number; windowEndMs: number }): DriftSketch {
    return {
      ...meta,
      count: this.#count,
      features: this.#bins.map((bins, f) => ({
        bins: Array.from(bins),
        moments: { n: this.#n[f] as number, mean: this.#mean[f] as number, m2: Math.max(0, this.#m2[f] as number) },
      })),
      output: { bins: Array.from(this.#outputBins), confidence: { ...this.#confidence } },
    };
  }

  reset(): void {
    for (const bins of this.#bins) bins.fill(0);
    this.#n.fill(0);
    this.#mean.fill(0);
    this.#m2.fill(0);
    this.#outputBins.fill(0);
    this.#confidence = { ...EMPTY_MOMENTS };
    this.#count = 0;
  }
}
