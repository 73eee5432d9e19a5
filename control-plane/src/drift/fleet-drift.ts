/**
 * The fleet drift service: accepts device drift windows (checked against the manifest's reference profile,
 * stored once per device and seq), and judges cohorts. Alerts are decided on complete cohort windows only:
 * a window stored while its aligned cohort window is still open only marks that window (and the cohorts of
 * the reporting device: `all`, its group, its tags) as pending; `judgeClosedWindows` — run on a Clock timer
 * (drift/judge-timer.ts) — judges each pending window once it has closed (`windowMs + graceMs` after its
 * start). Judging partial windows on ingest raised false alerts on clean cohorts (one device's rows alone
 * carry sampling noise of PSI ≈ (bins − 1)·(1/n + 1/N)). A window stored after its cohort window already
 * closed (a device back from offline) is judged at once. A window judged 'alert' is recorded once per cohort
 * and window (unique index), logged and emitted as 'alert'; windows that already alerted are not re-merged.
 * Pending windows live in memory: on start-up nothing is judged retroactively — windows that closed while the
 * control plane was down are judged when a late device window for them arrives, and are always visible
 * through `evaluate()` and the drift HTTP API, which compute on demand.
 */
import { EventEmitter } from 'node:events';
import { type DriftWindow, errorCodeOf, type ReferenceProfile, validateSketch } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { ControlPlaneError } from '../errors.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { type Cohort, type CohortMember, cohortKey, cohortsOf, parseCohort } from './cohort.js';
import { type CohortDrift, type CohortDriftResult, type CohortWindowDrift, createCohortDrift } from './cohort-drift.js';
import type { DriftAlertRow, DriftStore } from './drift-store.js';
import { createPendingWindows, type PendingWindow } from './pending-windows.js';
import type { DriftConfig } from './thresholds.js';

export interface DriftAlert {
  readonly cohort: string;
  readonly line: string;
  readonly version: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly window: CohortWindowDrift;
  readonly createdAt: number;
}

export type DriftAlertListener = (alert: DriftAlert) => void;

/** What the ControlPlane handle exposes to rollout gates and the FL coordinator. */
export interface DriftApi {
  evaluate(options: { line: string; version: number; cohort: string; sinceMs?: number }): Promise<CohortDriftResult>;
  on(event: 'alert', listener: DriftAlertListener): void;
  off(event: 'alert', listener: DriftAlertListener): void;
}

export interface FleetDrift extends DriftApi {
  readonly config: DriftConfig;
  readonly cohorts: CohortDrift;
  readonly store: DriftStore;
  /** The manifest's profile, or MODEL_VERSION_UNKNOWN. */
  profileOf(line: string, version: number): Promise<ReferenceProfile>;
  /** Validates and stores one record; false for a redelivery. Throws MODEL_VERSION_UNKNOWN / SKETCH_INVALID. */
  ingestWindow(deviceId: string, record: DriftWindow): Promise<boolean>;
  /**
   * Marks the cohort windows just stored into as pending for the cohorts of `device`; a cohort window that
   * has already closed (late arrival) is judged at once, recording and emitting alerts.
   */
  onWindowsStored(device: CohortMember & { id: string }, windows: readonly DriftWindow[]): Promise<void>;
  /** Judges every pending cohort window that has closed by now, then forgets it. Returns how many. */
  judgeClosedWindows(): Promise<number>;
}

export function createFleetDrift(options: {
  store: DriftStore;
  registry: ModelRegistry;
  config: DriftConfig;
  logger: Logger;
  now(): number;
}): FleetDrift {
  const { store, registry, config, logger, now } = options;
  const emitter = new EventEmitter();
  // Manifests are immutable once signed, so a version's profile can be cached for the process lifetime.
  const profiles = new Map<string, ReferenceProfile>();

  const profileOf = async (line: string, version: number): Promise<ReferenceProfile> => {
    const key = `${line}@${version}`;
    const cached = profiles.get(key);
    if (cached !== undefined) return cached;
    let profile: ReferenceProfile | undefined;
    try {
      profile = (await registry.get(line, version)).manifest.profile;
    } catch (cause) {
      if (errorCodeOf(cause) !== 'NOT_FOUND') throw cause;
    }
    if (profile === undefined) {
      throw new ControlPlaneError(
        'MODEL_VERSION_UNKNOWN',
        `${line} v${version} is unknown or has no reference profile`,
        {
          details: { line, version },
        },
      );
    }
    profiles.set(key, profile);
    return profile;
  };
  const cohorts = createCohortDrift({ store, config, profileOf });
  const pending = createPendingWindows(config);

  const judgeAndAlert = async (line: string, version: number, cohort: Cohort, alignedStartMs: number) => {
    const key = cohortKey(cohort);
    if (await store.hasAlert({ cohort: key, line, version, windowStartMs: alignedStartMs })) return;
    const window = await cohorts.window({ line, version, cohort, alignedStartMs });
    if (window.level !== 'alert') return;
    const alert: DriftAlertRow = {
      cohort: key,
      line,
      version,
      windowStartMs: window.windowStartMs,
      windowEndMs: window.windowEndMs,
      numbers: { ...window },
      createdAt: now(),
    };
    if (!(await store.insertAlert(alert))) return;
    logger.warn(
      { line, version, cohort: key, windowStartMs: window.windowStartMs, rows: window.rows, devices: window.devices },
      'fleet drift alert',
    );
    emitter.emit('alert', { ...alert, window } satisfies DriftAlert);
  };

  const judgeWindow = async (pendingWindow: PendingWindow) => {
    const { line, version, alignedStartMs } = pendingWindow;
    for (const cohort of pendingWindow.cohorts.values()) {
      try {
        await judgeAndAlert(line, version, cohort, alignedStartMs);
      } catch (error) {
        const deviceIds = [...pendingWindow.deviceIds];
        logger.error(
          { line, version, cohort: cohortKey(cohort), windowStartMs: alignedStartMs, deviceIds, err: error },
          'cohort drift evaluation failed',
        );
      }
    }
  };

  return {
    config,
    cohorts,
    store,
    profileOf,
    async ingestWindow(deviceId, record) {
      const { seq: _seq, kind: _kind, ...sketch } = record;
      validateSketch(sketch, await profileOf(sketch.line, sketch.version));
      return store.insertWindow({ deviceId, seq: record.seq, sketch, receivedAt: now() });
    },
    async onWindowsStored(device, windows) {
      const deviceCohorts = cohortsOf(device);
      const nowMs = now();
      for (const w of windows) {
        const alignedStartMs = cohorts.alignedStart(w.windowStartMs);
        const entry = pending.add({ line: w.line, version: w.version, alignedStartMs }, device.id, deviceCohorts);
        if (!pending.isClosed(alignedStartMs, nowMs)) continue;
        // Late arrival: the cohort window is complete as far as anyone will wait, so judge it now.
        pending.remove(entry);
        await judgeWindow(entry);
      }
    },
    async judgeClosedWindows() {
      const closed = pending.takeClosed(now());
      for (const entry of closed) await judgeWindow(entry);
      return closed.length;
    },
    async evaluate({ line, version, cohort, sinceMs }) {
      const parsed = parseCohort(cohort);
      return cohorts.evaluate({ line, version, cohort: parsed, ...(sinceMs === undefined ? {} : { sinceMs }) });
    },
    on: (event, listener) => void emitter.on(event, listener),
    off: (event, listener) => void emitter.off(event, listener),
  };
}
