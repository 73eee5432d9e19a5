/**
 * A cohort's drift over time: the stored device windows of one model version are grouped into aligned
 * windows of `windowMs` (by floor(windowStartMs / windowMs) — a device window belongs to the cohort window
 * it starts in), merged with protocol `mergeSketches` and compared with the manifest's reference profile.
 * `evaluate` merges everything since a point in time into one judgement (rollout gates, FL triggers).
 */
import { binCountOf, type DriftSketch, type ReferenceProfile } from '@edgefleet/protocol';
import { type Cohort, cohortKey } from './cohort.js';
import { compareToProfile, mergeAll, type WindowDrift } from './compare-profile.js';
import type { DriftStore, StoredDriftWindow } from './drift-store.js';
import type { DriftConfig } from './thresholds.js';

export interface CohortWindowDrift extends WindowDrift {
  /** Distinct devices whose windows were merged. */
  readonly devices: number;
}

export interface CohortDriftResult extends CohortWindowDrift {
  readonly line: string;
  readonly version: number;
  readonly cohort: string;
  /** Device windows merged. */
  readonly windows: number;
}

export interface ModelCohort {
  readonly line: string;
  readonly version: number;
  readonly cohort: Cohort;
}

export interface CohortDrift {
  alignedStart(windowStartMs: number): number;
  /** The cohort window starting at `alignedStartMs` (must be aligned). */
  window(query: ModelCohort & { alignedStartMs: number }): Promise<CohortWindowDrift>;
  /** Newest aligned windows first, at most `limit`. */
  history(query: ModelCohort & { limit: number }): Promise<CohortWindowDrift[]>;
  /** Everything since `sinceMs` (by device window start) merged into one judgement. */
  evaluate(query: ModelCohort & { sinceMs?: number }): Promise<CohortDriftResult>;
}

export function createCohortDrift(options: {
  store: DriftStore;
  config: DriftConfig;
  /** Throws MODEL_VERSION_UNKNOWN for an unknown version or one without a profile. */
  profileOf(line: string, version: number): Promise<ReferenceProfile>;
}): CohortDrift {
  const { store, config } = options;
  const alignedStart = (ms: number) => Math.floor(ms / config.windowMs) * config.windowMs;

  const judge = (profile: ReferenceProfile, windows: readonly StoredDriftWindow[], span: [number, number]) => {
    const merged = mergeAll(windows.map((w) => w.sketch)) ?? emptySketch(profile);
    const sketch = { ...merged, windowStartMs: span[0], windowEndMs: span[1] };
    return { ...compareToProfile(profile, sketch, config), devices: new Set(windows.map((w) => w.deviceId)).size };
  };

  return {
    alignedStart,
    async window({ line, version, cohort, alignedStartMs }) {
      const profile = await options.profileOf(line, version);
      const toMs = alignedStartMs + config.windowMs;
      const windows = await store.windows({ line, version, cohort, fromMs: alignedStartMs, toMs });
      return judge(profile, windows, [alignedStartMs, toMs]);
    },
    async history({ line, version, cohort, limit }) {
      const profile = await options.profileOf(line, version);
      const groups = new Map<number, StoredDriftWindow[]>();
      // Newest first from the store, so the first `limit` distinct aligned starts are the newest windows.
      for (const w of await store.windows({ line, version, cohort })) {
        const start = alignedStart(w.sketch.windowStartMs);
        const group = groups.get(start);
        if (group !== undefined) group.push(w);
        else if (groups.size < limit) groups.set(start, [w]);
      }
      return [...groups.entries()].map(([start, windows]) => judge(profile, windows, [start, start + config.windowMs]));
    },
    async evaluate({ line, version, cohort, sinceMs }) {
      const profile = await options.profileOf(line, version);
      const windows = await store.windows({
        line,
        version,
        cohort,
        ...(sinceMs === undefined ? {} : { fromMs: sinceMs }),
      });
      let span: [number, number] = [sinceMs ?? 0, sinceMs ?? 0];
      if (windows.length > 0) {
        span = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        for (const { sketch } of windows) {
          span = [Math.min(span[0], sketch.windowStartMs), Math.max(span[1], sketch.windowEndMs)];
        }
      }
      return { line, version, cohort: cohortKey(cohort), windows: windows.length, ...judge(profile, windows, span) };
    },
  };
}

function emptySketch(profile: ReferenceProfile): DriftSketch {
  const zeros = (length: number) => new Array<number>(length).fill(0);
  const moments = { n: 0, mean: 0, m2: 0 };
  return {
    line: '',
    version: 0,
    windowStartMs: 0,
    windowEndMs: 0,
    count: 0,
    features: profile.features.map((f) => ({ bins: zeros(binCountOf(f)), moments })),
    output: { bins: zeros(profile.output.counts.length), confidence: moments },
  };
}
