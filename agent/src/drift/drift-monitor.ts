/**
 * On-device drift statistics (DESIGN.md §4–5): for every active model version whose manifest has
 * a reference profile, each successful prediction becomes drift rows — the raw columns of a tabular model's
 * one [N, F] input, or the summary features the profile's `driftFeatures` names (protocol
 * `summarizeForDrift`, the function the registry built the profile with), plus the class vector of the
 * profiled output — counted into a protocol `SketchAccumulator`; the window closes at the next multiple of
 * `windowMs` on the Clock, or after `windowRows` rows, whichever comes first, and a non-empty window becomes
 * a `drift` telemetry record.
 * Aligned windows let the control plane merge the same period across the fleet. Alongside, the configured
 * signal (max class probability per row, or label feedback errors) feeds ADWIN and Page-Hinkley; an alarm
 * is handed over at once. All of it is local: the outbox carries the results whenever the device is online.
 */
import {
  type Clock,
  type DriftAlarm,
  type DriftSketch,
  type NumericArray,
  numericView,
  type ReferenceProfile,
  SketchAccumulator,
  summarizeForDrift,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { DriftOptions } from '../config.js';
import { AgentError } from '../errors.js';
import type { InferenceResult } from '../inference/inference-service.js';
import { createAlignedWindows } from '../telemetry/aligned-windows.js';
import { parseFeedback } from './feedback.js';
import { createSignalDetectors, type SignalDetectors } from './signal-detectors.js';

export interface DriftAlarmNotice {
  readonly line: string;
  readonly version: number;
  readonly drift: DriftAlarm;
}

export type DriftRecord = DriftSketch & { readonly kind: 'drift' };

export interface DriftMonitorOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: DriftOptions;
  /** A closed, non-empty window (the outbox assigns its seq). */
  readonly onSketch: (record: DriftRecord) => void;
  readonly onAlarm: (alarm: DriftAlarmNotice) => void;
  /** The version answering for `line` now, if any: label feedback is attributed to it. */
  readonly activeVersion: (line: string) => number | undefined;
}

export interface DriftMonitor {
  /** The inference service's `onResult` hook. */
  observe(result: InferenceResult): void;
  /** Validates label feedback (INPUT_INVALID, NO_MODEL) and feeds the 'error' detectors of the line. */
  feedback(line: string, body: unknown): { accepted: number };
  /** Closes every open window now. */
  flush(): void;
  /** Flushes, then ignores further results. */
  close(): void;
}

/** One call as drift sees it: `width` features and `classCount` class values per row, row-major. */
interface DriftRows {
  readonly rows: number;
  readonly width: number;
  readonly features: Float32Array | Float64Array;
  readonly classCount: number;
  readonly classes: NumericArray;
}

/** The drift rows of a call, or why its tensors do not fit the profile. */
function driftRowsOf(result: InferenceResult, profile: ReferenceProfile): DriftRows | string {
  if (profile.driftFeatures !== undefined)
    return summarizeForDrift(profile.driftFeatures, result.feeds, result.outputs);
  // A profile without driftFeatures is tabular: the raw columns of the one float32 [N, F] input.
  const { inputs, outputs } = result.manifest;
  const input = inputs.length === 1 ? result.feeds[inputs[0]!.name] : undefined;
  if (input?.type !== 'float32' || input.dims.length !== 2) return 'a tabular profile needs one float32 [N, F] input';
  const output = outputs[0] === undefined ? undefined : result.outputs[outputs[0].name];
  if (output === undefined) return `output ${outputs[0]?.name} was not fetched`;
  const rows = input.dims[0] as number;
  const classes = numericView(output);
  return {
    rows,
    width: input.dims[1] as number,
    features: input.data as Float32Array,
    classCount: rows === 0 ? 0 : classes.length / rows,
    classes,
  };
}

/** Sketch and confidence detectors of the version answering for one line. */
interface LineState {
  readonly line: string;
  readonly version: number;
  readonly accumulator: SketchAccumulator;
  readonly features: number;
  readonly classes: number;
  readonly confidence: SignalDetectors | undefined;
  startMs: number;
  /** End of the last closed window: the next one starts no earlier, so windows never overlap. */
  lastEndMs: number;
}

export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const { clock, logger, settings } = options;
  const { windowMs, windowRows } = settings;
  const lines = new Map<string, LineState>();
  const errorDetectors = new Map<string, { version: number; detectors: SignalDetectors }>();
  /** line@version pairs whose calls did not fit their profile, logged once. */
  const unfit = new Set<string>();
  const windows = createAlignedWindows<LineState>({
    clock,
    windowMs,
    *openWindows() {
      for (const s of lines.values()) if (s.accumulator.count > 0) yield s;
    },
    closeWindow,
  });

  const alarmSink = (line: string, version: number) => (drift: DriftAlarm) => {
    try {
      options.onAlarm({ line, version, drift });
    } catch (error) {
      logger.error({ err: error, line, version, drift }, 'could not hand over a drift alarm');
    }
  };

  /** Logs, once per model version, why its calls have no drift statistics. */
  function unfitCall(result: InferenceResult, reason: string): void {
    const key = `${result.line}@${result.version}`;
    if (unfit.has(key)) return;
    unfit.add(key);
    logger.error(
      { line: result.line, version: result.version, reason },
      'drift profile does not fit the model tensors; no drift statistics for such calls of this version',
    );
  }

  /** Why `rows` cannot be counted against `profile`, or undefined. */
  function misfit(rows: DriftRows, profile: ReferenceProfile): string | undefined {
    const features = profile.features.length;
    const classes = profile.output.counts.length;
    if (rows.width !== features) return `${rows.width} features per row, the profile has ${features}`;
    if (rows.rows > 0 && rows.classCount !== classes) return `${rows.classCount} classes, the profile has ${classes}`;
    return undefined;
  }

  function openLine(result: InferenceResult, profile: ReferenceProfile): LineState {
    const { line, version } = result;
    const features = profile.features.length;
    const classes = profile.output.counts.length;
    const state: LineState = {
      line,
      version,
      accumulator: new SketchAccumulator(profile),
      features,
      classes,
      confidence:
        settings.signal === 'confidence'
          ? createSignalDetectors({ signal: 'confidence', settings, onAlarm: alarmSink(line, version) })
          : undefined,
      startMs: 0,
      lastEndMs: Number.NEGATIVE_INFINITY,
    };
    lines.set(line, state);
    return state;
  }

  function closeWindow(state: LineState, endMs: number): void {
    if (state.accumulator.count === 0) return;
    const sketch = state.accumulator.snapshot({
      line: state.line,
      version: state.version,
      windowStartMs: state.startMs,
      windowEndMs: endMs,
    });
    state.accumulator.reset();
    state.lastEndMs = endMs;
    try {
      options.onSketch({ kind: 'drift', ...sketch });
    } catch (error) {
      logger.error({ err: error, line: state.line, version: state.version }, 'could not hand over a drift window');
    }
  }

  /** Counts rows [from, to) of the call into the line's window, starting the window if it is empty. */
  function count(s: LineState, rows: DriftRows, from: number, to: number, nowMs: number): void {
    if (s.accumulator.count === 0) s.startMs = windows.startAt(nowMs, s.lastEndMs);
    if (from === 0 && to === rows.rows) {
      s.accumulator.addRows(rows.features, rows.classes, to);
      return;
    }
    // Only when a row limit splits a batch: views, not copies.
    s.accumulator.addRows(
      rows.features.subarray(from * s.features, to * s.features),
      rows.classes.subarray(from * s.classes, to * s.classes),
      to - from,
    );
  }

  function feedConfidence(detectors: SignalDetectors, output: NumericArray, classes: number, rows: number): void {
    for (let r = 0; r < rows; r++) {
      let best = output[r * classes] as number;
      for (let c = 1; c < classes; c++) {
        const p = output[r * classes + c] as number;
        if (p > best) best = p;
      }
      detectors.update(best);
    }
  }

  function observe(result: InferenceResult): void {
    const profile = result.manifest.profile;
    if (windows.state === 'closed' || profile === undefined) return;
    const nowMs = clock.now();
    let s = lines.get(result.line);
    if (s !== undefined && s.version !== result.version) {
      // Hot swap: the old version's window ends now; the new version starts its own statistics.
      closeWindow(s, nowMs);
      lines.delete(result.line);
      s = undefined;
    }
    if (s !== undefined && s.accumulator.count > 0 && windows.endOf(s) <= nowMs) {
      closeWindow(s, windows.endOf(s)); // the timer is late (busy event loop)
    }
    const drift = driftRowsOf(result, profile);
    const problem = typeof drift === 'string' ? drift : misfit(drift, profile);
    if (typeof drift === 'string' || problem !== undefined) {
      unfitCall(result, problem ?? 'unfit');
      return;
    }
    s ??= openLine(result, profile);
    const rows = drift.rows;
    if (s.confidence !== undefined) feedConfidence(s.confidence, drift.classes, s.classes, rows);
    if (windowRows === 0) {
      count(s, drift, 0, rows, nowMs);
    } else {
      for (let from = 0; from < rows; ) {
        const to = Math.min(rows, from + windowRows - s.accumulator.count);
        count(s, drift, from, to, nowMs);
        if (s.accumulator.count >= windowRows) closeWindow(s, nowMs);
        from = to;
      }
    }
    windows.schedule();
  }

  return {
    observe(result) {
      try {
        observe(result);
      } catch (error) {
        // Statistics must never fail a prediction; the error is logged with its model.
        logger.error({ err: error, line: result.line, version: result.version }, 'drift statistics failed');
      }
    },
    feedback(line, body) {
      const { predicted, labels } = parseFeedback(body);
      const version = options.activeVersion(line);
      if (version === undefined) {
        throw new AgentError('NO_MODEL', `no model is active for line ${line}`, { details: { line } });
      }
      let entry = errorDetectors.get(line);
      if (entry === undefined || entry.version !== version) {
        const detectors = createSignalDetectors({ signal: 'error', settings, onAlarm: alarmSink(line, version) });
        entry = { version, detectors };
        errorDetectors.set(line, entry);
      }
      for (let i = 0; i < predicted.length; i++) entry.detectors.update(predicted[i] === labels[i] ? 0 : 1);
      return { accepted: predicted.length };
    },
    flush() {
      windows.flush();
    },
    close() {
      windows.close();
    },
  };
}
