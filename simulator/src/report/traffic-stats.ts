/**
 * A cohort's traffic as its devices saw it: calls served per model version, failures by error code, calls
 * made before the device had a model, and what the model answered — the share of each argmax class of the
 * first output (classifiers: last axis ≥ 2) or its mean (single scores such as a VAD's speech probability)
 * — both over the whole run and over the interval since the last report sample. Latency is measured by the
 * agent on the simulator's host, so it is kept apart (`latency()`, RunCost) from the reproducible report.
 */
import { elementAsNumber, type Tensor } from '@edgefleet/protocol';
import type { TrafficTotals } from './report-types.js';

/** What one call's first output says: its rows, and their argmax class counts or score sum. */
export interface OutputSummary {
  readonly rows: number;
  readonly classes: readonly number[] | null;
  readonly scoreSum: number | null;
}

function argmax(value: (k: number) => number, width: number): number {
  let best = 0;
  for (let k = 1; k < width; k++) if (value(k) > value(best)) best = k;
  return best;
}

export function summariseRows(outputs: readonly (readonly number[])[]): OutputSummary {
  const width = outputs[0]?.length ?? 0;
  if (width < 2) return { rows: outputs.length, classes: null, scoreSum: outputs.reduce((s, r) => s + (r[0] ?? 0), 0) };
  const classes = new Array<number>(width).fill(0);
  for (const row of outputs) {
    const k = argmax((j) => row[j] as number, width);
    classes[k] = (classes[k] as number) + 1;
  }
  return { rows: outputs.length, classes, scoreSum: null };
}

export function summariseTensor(tensor: Tensor): OutputSummary {
  const width = tensor.dims.at(-1) ?? 1;
  const count = tensor.data.length;
  const at = (i: number) => elementAsNumber(tensor.type, tensor.data, i);
  if (width < 2) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += at(i);
    return { rows: count, classes: null, scoreSum: sum };
  }
  const rows = Math.floor(count / width);
  const classes = new Array<number>(width).fill(0);
  for (let r = 0; r < rows; r++) {
    const k = argmax((j) => at(r * width + j), width);
    classes[k] = (classes[k] as number) + 1;
  }
  return { rows, classes, scoreSum: null };
}

class Totals {
  served = 0;
  rows = 0;
  errors: Record<string, number> = {};
  classes: number[] = [];
  scoreSum = 0;
  scoredRows = 0;

  add(summary: OutputSummary): void {
    this.served++;
    this.rows += summary.rows;
    for (const [k, n] of (summary.classes ?? []).entries()) this.classes[k] = (this.classes[k] ?? 0) + n;
    if (summary.scoreSum !== null) {
      this.scoreSum += summary.scoreSum;
      this.scoredRows += summary.rows;
    }
  }

  fail(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  errorCount(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }

  classShare(): Record<string, number> | null {
    const classified = this.classes.reduce((a, b) => a + (b ?? 0), 0);
    if (classified === 0) return null;
    return Object.fromEntries(this.classes.map((n, k) => [String(k), round((n ?? 0) / classified)]));
  }

  meanScore(): number | null {
    return this.scoredRows === 0 ? null : round(this.scoreSum / this.scoredRows);
  }

  report(): TrafficTotals {
    return {
      served: this.served,
      rows: this.rows,
      errors: Object.fromEntries(Object.entries(this.errors).sort(([a], [b]) => a.localeCompare(b))),
      classShare: this.classShare(),
      meanScore: this.meanScore(),
    };
  }
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** Log-spaced latency buckets (≈ 9 % wide from 10 µs up): quantiles in bounded memory at any fleet size. */
class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  calls = 0;
  add(ms: number): void {
    const bucket = Math.max(0, Math.ceil(Math.log(Math.max(ms, 0.01) / 0.01) / Math.log(1.09)));
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    this.calls++;
  }
  quantile(q: number): number | null {
    if (this.calls === 0) return null;
    let seen = 0;
    for (const bucket of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(bucket) as number;
      if (seen >= q * this.calls) return Math.round(0.01 * 1.09 ** bucket * 1000) / 1000;
    }
    return null;
  }
}

export interface LatencySummary {
  readonly calls: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
}

export interface TrafficStats {
  /** A served call; `stream` is the state stream it continued (null: a call without one). */
  served(call: { version: number; summary: OutputSummary; latencyMs: number; stream: string | null }): void;
  /** A failed call; `version` is the one installed on the device when it failed (null: none). */
  failed(version: number | null, code: string): void;
  /** A call made before the device had a model (NO_MODEL): nothing to serve, not a model's failure. */
  unserved(): void;
  /** Served calls, failures and answers since the previous call of `interval()`. */
  interval(): { served: number; errors: number; classShare: Record<string, number> | null; meanScore: number | null };
  totals(): { noModel: number; streams: number; byVersion: Record<string, TrafficTotals> };
  latency(): Record<string, LatencySummary>;
}

export function createTrafficStats(): TrafficStats {
  const byVersion = new Map<string, Totals>();
  const latency = new Map<string, LatencyHistogram>();
  let window = new Totals();
  let noModel = 0;
  const streams = new Set<string>();
  const totalsOf = (version: number | null) => {
    const key = version === null ? 'none' : String(version);
    let totals = byVersion.get(key);
    if (totals === undefined) {
      totals = new Totals();
      byVersion.set(key, totals);
    }
    return totals;
  };
  return {
    served({ version, summary, latencyMs, stream }) {
      totalsOf(version).add(summary);
      window.add(summary);
      if (stream !== null) streams.add(stream);
      let histogram = latency.get(String(version));
      if (histogram === undefined) {
        histogram = new LatencyHistogram();
        latency.set(String(version), histogram);
      }
      histogram.add(latencyMs);
    },
    failed(version, code) {
      totalsOf(version).fail(code);
      window.fail(code);
    },
    unserved() {
      noModel++;
    },
    interval() {
      const taken = window;
      window = new Totals();
      return {
        served: taken.served,
        errors: taken.errorCount(),
        classShare: taken.classShare(),
        meanScore: taken.meanScore(),
      };
    },
    totals() {
      // 'none' (failures before any install) first, then versions in order.
      const keys = [...byVersion.keys()].sort((a, b) => (a === 'none' ? -1 : b === 'none' ? 1 : Number(a) - Number(b)));
      return {
        noModel,
        streams: streams.size,
        byVersion: Object.fromEntries(keys.map((k) => [k, (byVersion.get(k) as Totals).report()])),
      };
    },
    latency() {
      return Object.fromEntries(
        [...latency.entries()].map(([v, h]) => [
          v,
          { calls: h.calls, p50Ms: h.quantile(0.5), p95Ms: h.quantile(0.95) },
        ]),
      );
    },
  };
}
