/**
 * Iris-like sensor streams for drift scenarios: rows drawn with replacement from the iris data and jittered by
 * ±0.05 cm (the data's own measurement resolution is 0.1 cm), so a large reference set and every device
 * stream come from one distribution. A drifted stream sees longer, wider petals (+1.2 cm, +0.5 cm): the
 * kind of sensor drift a field fleet actually has.
 */
import { irisDataset, mulberry32 } from '@edgefleet/test-kit/models';

export function irisStream(options: { rows: number; seed: number; drifted?: boolean }): number[][] {
  const random = mulberry32(options.seed);
  const source = irisDataset().features;
  return Array.from({ length: options.rows }, () => {
    const row = source[Math.floor(random() * source.length)]!.map((x) => x + (random() - 0.5) * 0.1);
    if (options.drifted === true) {
      row[2] = row[2]! + 1.2;
      row[3] = row[3]! + 0.5;
    }
    return row;
  });
}
