/**
 * What the gates read: the stored telemetry (inference windows), drift windows and shadow windows of a
 * model version since a time, and install-failed events — each filtered to a set of devices. Rows are
 * selected by (line, version, window start) through their indexes and filtered in memory, so a wave of
 * 10 000 devices never becomes a 10 000-parameter SQL statement.
 */
import { and, eq, gte } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { driftWindows, events, shadowWindows, telemetryWindows } from '../db/schema.js';

export interface GateDataQuery {
  readonly line: string;
  readonly version: number;
  readonly sinceMs: number;
  readonly devices: ReadonlySet<string>;
}

export function createGateData(db: Db) {
  return {
    inference(q: GateDataQuery) {
      return db
        .select()
        .from(telemetryWindows)
        .where(
          and(
            eq(telemetryWindows.line, q.line),
            eq(telemetryWindows.version, q.version),
            gte(telemetryWindows.windowStartMs, q.sinceMs),
          ),
        )
        .all()
        .filter((w) => q.devices.has(w.deviceId));
    },
    drift(q: GateDataQuery) {
      return db
        .select()
        .from(driftWindows)
        .where(
          and(
            eq(driftWindows.line, q.line),
            eq(driftWindows.version, q.version),
            gte(driftWindows.windowStartMs, q.sinceMs),
          ),
        )
        .all()
        .filter((w) => q.devices.has(w.deviceId));
    },
    /** Shadow windows whose challenger is `version`. */
    shadow(q: GateDataQuery) {
      return db
        .select()
        .from(shadowWindows)
        .where(
          and(
            eq(shadowWindows.line, q.line),
            eq(shadowWindows.challengerVersion, q.version),
            gte(shadowWindows.windowStartMs, q.sinceMs),
          ),
        )
        .all()
        .filter((w) => q.devices.has(w.deviceId));
    },
    /** install-failed events of `version` with the error code, received since `sinceMs`. */
    installFailures(q: GateDataQuery & { code: string }) {
      return db
        .select()
        .from(events)
        .where(and(eq(events.kind, 'install-failed'), eq(events.line, q.line), eq(events.version, q.version)))
        .all()
        .filter((e) => q.devices.has(e.deviceId) && e.error?.code === q.code && e.receivedAt >= q.sinceMs);
    },
  };
}

export type GateData = ReturnType<typeof createGateData>;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Median over devices of each device's median p95 (one slow window does not make a slow device). */
export function medianDeviceP95(rows: readonly { deviceId: string; p95: number }[]): number | null {
  const perDevice = new Map<string, number[]>();
  for (const r of rows) perDevice.set(r.deviceId, [...(perDevice.get(r.deviceId) ?? []), r.p95]);
  return median([...perDevice.values()].map((v) => median(v) as number));
}
