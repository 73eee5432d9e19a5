/**
 * Health gates: each compares the devices of a wave running the new version with the champion
 * on the rest of the targeted fleet over the same window, and records its numbers. A gate without data is
 * `skipped` — recorded, never failing. Definitions:
 *  - installFailureRate = failed / (installed + failed) in the wave; offline devices are excluded.
 *  - selfTestFailures = install-failed events with code SELF_TEST_FAILED for the version, in the wave.
 *  - errorRate = Σerrors / Σcount of the new version's inference windows (shadow wave: Σ challengerErrors /
 *    Σ rows of its shadow windows).
 *  - p95LatencyRatio = median device p95 (new version, wave) / median device p95 (champion, rest); in a
 *    shadow wave both sides come from the same devices' shadow windows.
 *  - predictionShiftPsi = PSI (drift/stats.ts, Evidently's ε smoothing) of the merged output-class
 *    histogram of the wave's drift windows on the new version against the champion devices' histogram.
 *    The histogram is of the output the plan's `compare` names (default: the first output): a version
 *    whose drift profile counts the classes of another output has no data for it (skipped, with the
 *    reason), and so has a `tolerance` comparison — regression and embedding outputs have no classes.
 *  - shadowAgreement = Σ agreements / Σ rows of the wave's shadow windows (min threshold); the device
 *    counts agreement on the compared output, by argmax or within the tolerance.
 */
import type { OutputComparison } from '@edgefleet/protocol';
import { psi } from '../drift/stats.js';
import { type GateData, medianDeviceP95 } from './gate-data.js';
import type { GateName, Gates } from './plan.js';

export interface GateResult {
  readonly gate: GateName;
  readonly threshold: number;
  readonly value: number | null;
  readonly passed: boolean;
  readonly outcome: 'passed' | 'failed' | 'skipped';
  readonly detail: Record<string, unknown>;
}

export interface GateInput {
  readonly line: string;
  readonly version: number;
  readonly championVersion: number | null;
  readonly mode: 'live' | 'shadow';
  readonly sinceMs: number;
  readonly waveDevices: ReadonlySet<string>;
  readonly championDevices: ReadonlySet<string>;
  /**
   * The champion's predicted-class histogram on its reference dataset (manifest profile), the baseline of the
   * prediction-shift gate when no champion device has data — always so in the last wave, which leaves no
   * device on the champion.
   */
  readonly championReferenceClasses: readonly number[] | null;
  /** The plan's comparison (undefined: the first output, by argmax). */
  readonly compare?: OutputComparison | undefined;
  /** The output each side compares: `compare.output` or that version's first output. */
  readonly comparedOutput: { readonly version: string | null; readonly champion: string | null };
  /** The output whose classes each version's drift profile counts (null: no profile). */
  readonly profileOutput: { readonly version: string | null; readonly champion: string | null };
  readonly installed: number;
  readonly failed: number;
  readonly offline: number;
}

export const INSTALL_GATES: readonly GateName[] = ['installFailureRate', 'selfTestFailures'];
const MAX_GATES: readonly GateName[] = [
  'installFailureRate',
  'selfTestFailures',
  'errorRate',
  'p95LatencyRatio',
  'predictionShiftPsi',
];

type Measured = { value: number | null; detail: Record<string, unknown> };

async function measure(gate: GateName, input: GateInput, data: GateData): Promise<Measured> {
  const wave = { line: input.line, version: input.version, sinceMs: input.sinceMs, devices: input.waveDevices };
  const champion =
    input.championVersion === null
      ? null
      : { line: input.line, version: input.championVersion, sinceMs: input.sinceMs, devices: input.championDevices };
  const shadow = () => data.shadow(wave);
  switch (gate) {
    case 'installFailureRate': {
      const settled = input.installed + input.failed;
      const detail = { installed: input.installed, failed: input.failed, offline: input.offline };
      return { value: settled === 0 ? null : input.failed / settled, detail };
    }
    case 'selfTestFailures':
      return { value: (await data.installFailures({ ...wave, code: 'SELF_TEST_FAILED' })).length, detail: {} };
    case 'errorRate': {
      if (input.mode === 'shadow') {
        const rows = await shadow();
        const n = rows.reduce((a, w) => a + w.rows, 0);
        const errors = rows.reduce((a, w) => a + w.challengerErrors, 0);
        return { value: n === 0 ? null : errors / n, detail: { rows: n, errors, windows: rows.length } };
      }
      const rows = await data.inference(wave);
      const n = rows.reduce((a, w) => a + w.count, 0);
      const errors = rows.reduce((a, w) => a + w.errors, 0);
      const champ = champion === null ? [] : await data.inference(champion);
      const champN = champ.reduce((a, w) => a + w.count, 0);
      const championErrorRate = champN === 0 ? null : champ.reduce((a, w) => a + w.errors, 0) / champN;
      return {
        value: n === 0 ? null : errors / n,
        detail: { count: n, errors, windows: rows.length, championErrorRate },
      };
    }
    case 'p95LatencyRatio': {
      if (input.mode === 'shadow') {
        const rows = await shadow();
        const challenger = medianDeviceP95(
          rows.map((w) => ({ deviceId: w.deviceId, p95: w.latencyMs.challenger.p95 ?? 0 })),
        );
        const champ = medianDeviceP95(rows.map((w) => ({ deviceId: w.deviceId, p95: w.latencyMs.champion.p95 ?? 0 })));
        const value = challenger === null || champ === null || champ === 0 ? null : challenger / champ;
        return { value, detail: { newP95Ms: challenger, championP95Ms: champ, windows: rows.length } };
      }
      const p95 = (rows: { deviceId: string; latencyMs: Record<string, number> }[]) =>
        medianDeviceP95(rows.map((w) => ({ deviceId: w.deviceId, p95: w.latencyMs.p95 ?? 0 })));
      const mine = p95(await data.inference(wave));
      const theirs = champion === null ? null : p95(await data.inference(champion));
      const value = mine === null || theirs === null || theirs === 0 ? null : mine / theirs;
      return { value, detail: { newP95Ms: mine, championP95Ms: theirs } };
    }
    case 'predictionShiftPsi': {
      if (input.compare?.mode === 'tolerance') {
        return { value: null, detail: { reason: 'compare.mode is tolerance: the compared output has no classes' } };
      }
      const { comparedOutput: compared, profileOutput: profiled } = input;
      if (profiled.version !== compared.version) {
        const reason =
          profiled.version === null
            ? `v${input.version} has no drift profile`
            : `v${input.version}'s drift profile counts the classes of ${profiled.version}, not of ${compared.version}`;
        return { value: null, detail: { output: compared.version, reason } };
      }
      const championComparable = profiled.champion !== null && profiled.champion === compared.champion;
      const merge = (rows: { sketch: { output: { bins: number[] } } }[]) =>
        rows.reduce<number[] | null>((acc, w) => {
          const bins = w.sketch.output.bins;
          if (acc === null) return [...bins];
          return acc.length === bins.length ? acc.map((v, i) => v + (bins[i] as number)) : acc;
        }, null);
      const total = (b: readonly number[] | null) => (b === null ? 0 : b.reduce((a, v) => a + v, 0));
      const current = merge(await data.drift(wave));
      const live = champion === null || !championComparable ? null : merge(await data.drift(champion));
      const fallback =
        input.championReferenceClasses === null || !championComparable ? null : [...input.championReferenceClasses];
      const [reference, baseline] =
        total(live) > 0 ? [live, 'champion devices'] : [fallback, 'champion reference profile'];
      const comparable = current !== null && reference !== null && current.length === reference.length;
      const usable = comparable && total(current) > 0 && total(reference) > 0;
      return {
        value: usable ? psi(reference, current) : null,
        detail: { output: compared.version, newHistogram: current, championHistogram: reference, baseline },
      };
    }
    case 'shadowAgreement': {
      const rows = await shadow();
      const n = rows.reduce((a, w) => a + w.rows, 0);
      const agreements = rows.reduce((a, w) => a + w.agreements, 0);
      return { value: n === 0 ? null : agreements / n, detail: { rows: n, agreements, windows: rows.length } };
    }
  }
}

/** Evaluates the configured gates among `which` (default: all configured). */
export async function evaluateGates(options: {
  gates: Gates;
  input: GateInput;
  data: GateData;
  which?: readonly GateName[];
}): Promise<GateResult[]> {
  const { input } = options;
  const results: GateResult[] = [];
  for (const [name, threshold] of Object.entries(options.gates) as [GateName, number | undefined][]) {
    if (threshold === undefined || (options.which !== undefined && !options.which.includes(name))) continue;
    const { value, detail } = await measure(name, input, options.data);
    const ok = value === null || (MAX_GATES.includes(name) ? value <= threshold : value >= threshold);
    results.push({
      gate: name,
      threshold,
      value,
      passed: ok,
      outcome: value === null ? 'skipped' : ok ? 'passed' : 'failed',
      detail: {
        waveDevices: input.waveDevices.size,
        championDevices: input.championDevices.size,
        mode: input.mode,
        ...detail,
      },
    });
  }
  return results;
}
