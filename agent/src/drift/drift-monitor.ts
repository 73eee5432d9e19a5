/**
 * On-device drift statistics (issue 5, DESIGN.md §4–5): for every active model version whose manifest has
 * a reference profile, each successful prediction's input and output rows are counted into a protocol
 * `SketchAccumulator`; the window closes at the next multiple of `windowMs` on the Clock, or after
 * `windowRows` rows, whichever comes first, and a non-empty window becomes a `drift` telemetry record.
 * Aligned windows let the control plane merge the same period across the fleet. Alongside, the configured
 * signal (max class probability per row, or label feedback errors) feeds ADWIN and Page-Hinkley; an alarm
 * is handed over at once. All of it is local: the outbox carries the results whenever the device is online.
 */
import {
  type Clock,
  type DriftAlarm,
  type DriftSketch,
  type ReferenceProfile,
  SketchAccumulator,
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
  /** line@version pairs whose profile does not fit the model's tensors, logged once. */
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

  function openLine(result: InferenceResult, profile: ReferenceProfile): LineState | undefined {
    const { line, version, input, output } = result;
    const rows = input.shape[0] as number;
    const features = profile.features.length;
    const classes = profile.output.counts.length;
    if (input.shape[1] !== features || output.data.length !== rows * classes) {
      const key = `${line}@${version}`;
      if (!unfit.has(key)) {
        unfit.add(key);
        logger.error(
          { line, version, inputShape: input.shape, outputValues: output.data.length, features, classes },
          'drift profile does not fit the model tensors; no drift statistics for this version',
        );
      }
      return undefined;
    }
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

  /** Counts rows [from, to) of the result into the line's window, starting the window if it is empty. */
  function count(s: LineState, result: InferenceResult, from: number, to: number, nowMs: number): void {
    if (s.accumulator.count === 0) s.startMs = windows.startAt(nowMs, s.lastEndMs);
    const { input, output } = result;
    if (from === 0 && to === (input.shape[0] as number)) {
      s.accumulator.addRows(input.data, output.data, to);
      return;
    }
    // Only when a row limit splits a batch: views, not copies.
    s.accumulator.addRows(
      input.data.subarray(from * s.features, to * s.features),
      output.data.subarray(from * s.classes, to * s.classes),
      to - from,
    );
  }

  function feedConfidence(detectors: SignalDetectors, output: Float32Array, classes: number, rows: number): void {
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
    s ??= openLine(result, profile);
    if (s === undefined) return;
    const rows = result.input.shape[0] as number;
    if (s.confidence !== undefined) feedConfidence(s.confidence, result.output.data, s.classes, rows);
    if (windowRows === 0) {
      count(s, result, 0, rows, nowMs);
    } else {
      for (let from = 0; from < rows; ) {
        const to = Math.min(rows, from + windowRows - s.accumulator.count);
        count(s, result, from, to, nowMs);
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
