/**
 * Scores the window-level path — device sketches compared to the reference profile by the control plane's
 * PSI / Jensen–Shannon / binned-KS rules (its defaults) — on the labelled streams, for one device at a time
 * and for a fleet of devices whose windows are merged before judging (what the control plane does per
 * cohort). An alert is a window judged 'alert'; its delay is counted to the end of that window.
 */
import { compareToProfile, mergeAndCompare } from '@edgefleet/control-plane';
import { buildReferenceProfile, type DriftSketch, type ReferenceProfile, SketchAccumulator } from '@edgefleet/protocol';
import { CATEGORICAL_FEATURE, WEATHER_CODES, WEATHER_FEATURES } from './seattle-weather.js';
import type { LabelledStream } from './streams.js';

export interface WindowScore {
  readonly path: string;
  readonly runs: number;
  readonly detected: number;
  readonly meanDelayRows: number | null;
  readonly maxDelayRows: number | null;
  /** Windows judged 'alert' that end before the change (or anywhere in the control). */
  readonly falseAlerts: number;
  readonly windowsJudged: number;
}

/** No weather model: the "output" is the day's weather as a one-hot class, so its histogram is compared too. */
function oneHot(row: readonly number[]): number[] {
  return WEATHER_CODES.map((_, c) => (row[CATEGORICAL_FEATURE] === c ? 1 : 0));
}

export function weatherProfile(reference: readonly (readonly number[])[]): ReferenceProfile {
  return buildReferenceProfile({
    rows: reference,
    outputs: reference.map(oneHot),
    featureNames: [...WEATHER_FEATURES],
    categorical: [CATEGORICAL_FEATURE],
  });
}

function windowSketches(
  profile: ReferenceProfile,
  rows: readonly (readonly number[])[],
  windowRows: number,
): DriftSketch[] {
  const out: DriftSketch[] = [];
  for (let start = 0; start + windowRows <= rows.length; start += windowRows) {
    const slice = rows.slice(start, start + windowRows);
    const acc = new SketchAccumulator(profile);
    acc.addRows(slice.flat(), slice.flatMap(oneHot), slice.length);
    out.push(acc.snapshot({ line: 'weather', version: 1, windowStartMs: start, windowEndMs: start + windowRows - 1 }));
  }
  return out;
}

function score(
  path: string,
  runs: Array<{ levels: string[]; changeAt: number | null }>,
  windowRows: number,
): WindowScore {
  let detected = 0;
  let falseAlerts = 0;
  let judged = 0;
  const delays: number[] = [];
  for (const run of runs) {
    const changeAt = run.changeAt ?? Number.POSITIVE_INFINITY;
    let first: number | null = null;
    run.levels.forEach((level, w) => {
      judged++;
      const end = (w + 1) * windowRows;
      if (level !== 'alert') return;
      if (end <= changeAt) falseAlerts++;
      else first ??= end - changeAt;
    });
    if (first !== null && run.changeAt !== null) {
      detected++;
      delays.push(first);
    }
  }
  return {
    path,
    runs: runs.length,
    detected,
    meanDelayRows: delays.length === 0 ? null : Math.round(delays.reduce((a, b) => a + b, 0) / delays.length),
    maxDelayRows: delays.length === 0 ? null : Math.max(...delays),
    falseAlerts,
    windowsJudged: judged,
  };
}

/** Each stream is one device; every window judged on its own. */
export function scoreDeviceWindows(streams: readonly LabelledStream[], windowRows: number): WindowScore {
  const runs = streams.map((s) => {
    const profile = weatherProfile(s.reference);
    return {
      levels: windowSketches(profile, s.rows, windowRows).map((w) => compareToProfile(profile, w).level),
      changeAt: s.changeAt,
    };
  });
  return score(`device windows of ${windowRows} rows`, runs, windowRows);
}

/** All streams are devices of one cohort: window i of every device is merged, then judged. */
export function scoreFleetWindows(streams: readonly LabelledStream[], windowRows: number): WindowScore {
  const profile = weatherProfile((streams[0] as LabelledStream).reference);
  const perDevice = streams.map((s) => windowSketches(profile, s.rows, windowRows));
  const levels = (perDevice[0] as DriftSketch[]).map(
    (_, w) =>
      mergeAndCompare(
        profile,
        perDevice.map((d) => d[w] as DriftSketch),
      )?.level ?? 'insufficient',
  );
  return score(
    `fleet of ${streams.length} devices, windows of ${windowRows} rows each`,
    [{ levels, changeAt: streams[0]?.changeAt ?? null }],
    windowRows,
  );
}
