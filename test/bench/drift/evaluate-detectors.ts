/**
 * Scores the on-device streaming detectors (ADWIN, Page-Hinkley with River's defaults, as the agent runs them)
 * on the labelled streams: per stream kind and detector, the detection rate (an alarm at or after the change
 * within the horizon), the mean and max detection delay in rows, and false alarms (alarms before the change,
 * or anywhere in the no-drift control) per 10,000 rows.
 */
import { createAdwin, createPageHinkley } from '@edgefleet/agent';
import type { LabelledStream } from './streams.js';

export interface DetectorScore {
  readonly detector: 'adwin' | 'page-hinkley';
  readonly streams: number;
  readonly detected: number;
  readonly meanDelayRows: number | null;
  readonly maxDelayRows: number | null;
  readonly falseAlarmsPer10kRows: number;
}

type Detector = { update(x: number): boolean };

const DETECTORS: ReadonlyArray<[DetectorScore['detector'], () => Detector]> = [
  ['adwin', () => createAdwin()],
  ['page-hinkley', () => createPageHinkley()],
];

export function scoreDetectors(streams: readonly LabelledStream[]): DetectorScore[] {
  return DETECTORS.map(([name, make]) => {
    let detected = 0;
    let falseAlarms = 0;
    let cleanRows = 0;
    const delays: number[] = [];
    for (const stream of streams) {
      const detector = make();
      const changeAt = stream.changeAt ?? Number.POSITIVE_INFINITY;
      let firstAfter: number | null = null;
      stream.signal.forEach((x, t) => {
        if (!detector.update(x)) return;
        if (t < changeAt) falseAlarms++;
        else firstAfter ??= t;
      });
      cleanRows += Math.min(changeAt, stream.signal.length);
      if (firstAfter !== null) {
        detected++;
        delays.push(firstAfter - changeAt);
      }
    }
    return {
      detector: name,
      streams: streams.length,
      detected,
      meanDelayRows: delays.length === 0 ? null : Math.round(delays.reduce((a, b) => a + b, 0) / delays.length),
      maxDelayRows: delays.length === 0 ? null : Math.max(...delays),
      falseAlarmsPer10kRows: Math.round((falseAlarms / cleanRows) * 10_000 * 100) / 100,
    };
  });
}
