/**
 * Shadow-run statistics per window (DESIGN.md §5): for each line with a challenger, the rows both
 * models answered, how many of them agreed on the compared output, the challenger's failed runs, and the
 * per-call latency of champion and challenger. Windows are aligned to multiples of `windowMs` on the Clock
 * exactly like the drift monitor's, so the control plane can line them up with the same period of the
 * champion-only fleet; a champion or challenger swap closes the window at once (one record = one pair of
 * versions). Percentiles come from the latency-window reservoir code, so both kinds of telemetry summarise
 * latency identically. A closed, non-empty window becomes a `kind: 'shadow'` record (protocol
 * `shadowWindowSchema`).
 */
import type { Clock, ShadowWindow } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { createAlignedWindows } from '../telemetry/aligned-windows.js';
import {
  addLatency,
  createLatencyReservoir,
  type LatencyReservoir,
  summarizeLatency,
} from '../telemetry/latency-window.js';

export type ShadowRecord = Omit<ShadowWindow, 'seq'>;

/** One shadow comparison: a champion call and the challenger's run on the same input. */
export type ShadowOutcome =
  | {
      readonly kind: 'compared';
      readonly rows: number;
      readonly agreements: number;
      readonly championLatencyMs: number;
      readonly challengerLatencyMs: number;
    }
  | { readonly kind: 'challenger-error' };

export interface ShadowWindows {
  record(pair: { line: string; championVersion: number; challengerVersion: number }, outcome: ShadowOutcome): void;
  /** Closes every open window now. */
  flush(): void;
  /** Flushes, then ignores further outcomes. */
  close(): void;
}

interface OpenWindow {
  readonly line: string;
  championVersion: number;
  challengerVersion: number;
  startMs: number;
  calls: number;
  rows: number;
  agreements: number;
  challengerErrors: number;
  champion: LatencyReservoir;
  challenger: LatencyReservoir;
  /** End of the last closed window of the line: the next one starts no earlier, so windows never overlap. */
  lastEndMs: number;
}

export function createShadowWindows(options: {
  clock: Clock;
  windowMs: number;
  logger: Logger;
  onWindow: (record: ShadowRecord) => void;
}): ShadowWindows {
  const { clock, windowMs, logger } = options;
  const lines = new Map<string, OpenWindow>();
  const windows = createAlignedWindows<OpenWindow>({
    clock,
    windowMs,
    *openWindows() {
      for (const w of lines.values()) if (w.calls > 0) yield w;
    },
    closeWindow,
  });

  function closeWindow(w: OpenWindow, endMs: number): void {
    if (w.calls === 0) return;
    const { line } = w;
    const record: ShadowRecord = {
      kind: 'shadow',
      line,
      championVersion: w.championVersion,
      challengerVersion: w.challengerVersion,
      windowStartMs: w.startMs,
      windowEndMs: endMs,
      rows: w.rows,
      agreements: w.agreements,
      challengerErrors: w.challengerErrors,
      latencyMs: { champion: summarizeLatency(w.champion), challenger: summarizeLatency(w.challenger) },
    };
    Object.assign(w, { calls: 0, rows: 0, agreements: 0, challengerErrors: 0, lastEndMs: endMs });
    w.champion = createLatencyReservoir();
    w.challenger = createLatencyReservoir();
    try {
      options.onWindow(record);
    } catch (error) {
      logger.error({ err: error, line, version: record.challengerVersion }, 'could not hand over a shadow window');
    }
  }

  return {
    record(pair, outcome) {
      if (windows.state === 'closed') return;
      const nowMs = clock.now();
      let w = lines.get(pair.line);
      if (
        w !== undefined &&
        (w.championVersion !== pair.championVersion || w.challengerVersion !== pair.challengerVersion)
      ) {
        closeWindow(w, nowMs); // a swap: the old pair's window ends now
        w.championVersion = pair.championVersion;
        w.challengerVersion = pair.challengerVersion;
      }
      if (w !== undefined && w.calls > 0 && windows.endOf(w) <= nowMs) {
        closeWindow(w, windows.endOf(w)); // the timer is late (busy event loop)
      }
      if (w === undefined) {
        w = {
          ...pair,
          startMs: 0,
          calls: 0,
          rows: 0,
          agreements: 0,
          challengerErrors: 0,
          champion: createLatencyReservoir(),
          challenger: createLatencyReservoir(),
          lastEndMs: Number.NEGATIVE_INFINITY,
        };
        lines.set(pair.line, w);
      }
      if (w.calls === 0) w.startMs = windows.startAt(nowMs, w.lastEndMs);
      w.calls += 1;
      if (outcome.kind === 'challenger-error') {
        w.challengerErrors += 1;
      } else {
        w.rows += outcome.rows;
        w.agreements += outcome.agreements;
        addLatency(w.champion, outcome.championLatencyMs);
        addLatency(w.challenger, outcome.challengerLatencyMs);
      }
      windows.schedule();
    },
    flush() {
      windows.flush();
    },
    close() {
      windows.close();
    },
  };
}
