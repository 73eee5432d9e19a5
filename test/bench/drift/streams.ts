/**
 * Labelled drift streams with known change points, bootstrapped (seeded) from real Seattle weather:
 *  - none:        every row from the whole dataset — the no-drift control;
 *  - abrupt:      winter days (Dec–Feb), then summer days (Jun–Aug) from `changeAt` on — a real seasonal shift;
 *  - gradual:     the share of summer days ramps linearly from 0 to 1 over `rampLength` rows;
 *  - variance:    all days, then wind deviations from the mean scaled ×2.5 (same mean, ~6× variance);
 *  - categorical: all days, then the codes "rain" (44 %) and "fog" (7 %) swapped; numeric features unchanged.
 * Each stream also carries the reference rows (drawn from the pre-change distribution, independently) that
 * a model would have been registered with, and the detector signal: the rows' temp_max (or wind, or the
 * rain indicator) min–max scaled to [0, 1] on the reference — the same range as the agent's confidence and
 * error signals.
 */
import { mulberry32 } from '@edgefleet/test-kit/models';
import { seattleWeather, type WeatherDay } from './seattle-weather.js';

export type StreamKind = 'none' | 'abrupt' | 'gradual' | 'variance' | 'categorical';

export interface LabelledStream {
  readonly kind: StreamKind;
  readonly rows: number[][];
  readonly reference: number[][];
  readonly signal: number[];
  /** First drifted row; null for the control. */
  readonly changeAt: number | null;
}

export interface StreamOptions {
  readonly length: number;
  readonly changeAt: number;
  readonly rampLength: number;
  readonly referenceLength: number;
  readonly seed: number;
}

const WINTER = new Set([12, 1, 2]);
const SUMMER = new Set([6, 7, 8]);
const WIND = 3;
const TEMP_MAX = 1;
const RAIN = 1;
const FOG = 3;

function pick(days: readonly WeatherDay[], random: () => number): number[] {
  return [...(days[Math.floor(random() * days.length)] as WeatherDay).row];
}

export function makeStream(kind: StreamKind, options: StreamOptions): LabelledStream {
  const random = mulberry32(options.seed);
  const all = seattleWeather();
  const winter = all.filter((d) => WINTER.has(d.month));
  const summer = all.filter((d) => SUMMER.has(d.month));
  const before = kind === 'abrupt' || kind === 'gradual' ? winter : all;
  const reference = Array.from({ length: options.referenceLength }, () => pick(before, random));
  const windMean = all.reduce((s, d) => s + (d.row[WIND] as number), 0) / all.length;

  const rows: number[][] = [];
  for (let t = 0; t < options.length; t++) {
    const drifted = kind !== 'none' && t >= options.changeAt;
    let row: number[];
    if (kind === 'abrupt') row = pick(drifted ? summer : winter, random);
    else if (kind === 'gradual') {
      const share = Math.min(1, Math.max(0, (t - options.changeAt) / options.rampLength));
      row = pick(random() < share ? summer : winter, random);
    } else {
      row = pick(all, random);
      if (drifted && kind === 'variance') row[WIND] = Math.max(0, windMean + ((row[WIND] as number) - windMean) * 2.5);
      if (drifted && kind === 'categorical') {
        if (row[4] === RAIN) row[4] = FOG;
        else if (row[4] === FOG) row[4] = RAIN;
      }
    }
    rows.push(row);
  }

  const signalOf = (r: readonly number[]) =>
    kind === 'categorical'
      ? r[4] === RAIN
        ? 1
        : 0
      : kind === 'variance'
        ? (r[WIND] as number)
        : (r[TEMP_MAX] as number);
  const referenceSignal = reference.map(signalOf);
  const lo = Math.min(...referenceSignal);
  const hi = Math.max(...referenceSignal);
  const scale = (x: number) => (hi === lo ? 0 : Math.min(1, Math.max(0, (x - lo) / (hi - lo))));
  return {
    kind,
    rows,
    reference,
    signal: rows.map((r) => scale(signalOf(r))),
    changeAt: kind === 'none' ? null : options.changeAt,
  };
}
