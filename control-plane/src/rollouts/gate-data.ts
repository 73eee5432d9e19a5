/**
 * What the gates read: the stored telemetry (inference windows), drift windows and shadow windows of a
 * model version since a time, and install-failed events — each filtered to a set of devices. Rows are
 * selected by (line, version, window start) through their indexes and filtered in memory, so a wave of
 * 10 000 devices never becomes a 10 000-parameter SQL statement.
 */
import { and, eq, gte } from 'drizzle-orm';
import type { AnySQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Database, Db, Tables } from '../db/database.js';

export interface GateDataQuery {
  readonly line: string;
  readonly version: number;
  readonly sinceMs: number;
  readonly devices: ReadonlySet<string>;
}

type WindowTable = Tables['telemetryWindows'] | Tables['driftWindows'] | Tables['shadowWindows'];

/** The windows of `table` whose `versionColumn` is `q.version`, started since `q.sinceMs`, of `q.devices`. */
async function windowsOf<T extends WindowTable>(
  db: Db,
  table: T,
  options: { versionColumn: AnySQLiteColumn; query: GateDataQuery },
): Promise<T['$inferSelect'][]> {
  const { versionColumn, query: q } = options;
  // drizzle cannot infer a select over a generic table; widened to the union, the rows are those of `table`.
  const rows: T['$inferSelect'][] = await db
    .select()
    .from(table as WindowTable)
    .where(and(eq(table.line, q.line), eq(versionColumn, q.version), gte(table.windowStartMs, q.sinceMs)));
  return rows.filter((w) => q.devices.has(w.deviceId));
}

export function createGateData(database: Database) {
  const { db, tables } = database;
  const { driftWindows, events, shadowWindows, telemetryWindows } = tables;
  return {
    inference: (q: GateDataQuery) =>
      windowsOf(db, telemetryWindows, { versionColumn: telemetryWindows.version, query: q }),
    drift: (q: GateDataQuery) => windowsOf(db, driftWindows, { versionColumn: driftWindows.version, query: q }),
    /** Shadow windows whose challenger is `version`. */
    shadow: (q: GateDataQuery) =>
      windowsOf(db, shadowWindows, { versionColumn: shadowWindows.challengerVersion, query: q }),
    /** install-failed events of `version` with the error code, received since `sinceMs`. */
    async installFailures(q: GateDataQuery & { code: string }) {
      const rows = await db
        .select()
        .from(events)
        .where(and(eq(events.kind, 'install-failed'), eq(events.line, q.line), eq(events.version, q.version)));
      return rows.filter((e) => q.devices.has(e.deviceId) && e.error?.code === q.code && e.receivedAt >= q.sinceMs);
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
