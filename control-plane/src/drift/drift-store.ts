/**
 * Persistence of fleet drift: device drift windows (once per device and seq, like every device record),
 * cohort alerts (once per cohort and aligned window) and the read side of device `drift-alarm` events.
 * Cohort membership is resolved against the devices table at read time, so re-tagging a device moves its
 * history with it.
 */
import type { DriftSketch } from '@edgefleet/protocol';
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { placeholders, prepareOnce } from '../db/prepared.js';
import { type Cohort, inCohort } from './cohort.js';

export interface StoredDriftWindow {
  readonly deviceId: string;
  readonly sketch: DriftSketch;
}

export interface DriftAlertRow {
  readonly cohort: string;
  readonly line: string;
  readonly version: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly numbers: Record<string, unknown>;
  readonly createdAt: number;
}

export interface DriftStore {
  /** false when (device, seq) was stored before (a redelivery). */
  insertWindow(row: { deviceId: string; seq: number; sketch: DriftSketch; receivedAt: number }): Promise<boolean>;
  /** Windows of one model version in a cohort with fromMs ≤ windowStartMs < toMs, newest first. */
  windows(query: {
    line: string;
    version: number;
    cohort: Cohort;
    fromMs?: number;
    toMs?: number;
  }): Promise<StoredDriftWindow[]>;
  /** false when the cohort already has an alert for that window. */
  insertAlert(row: DriftAlertRow): Promise<boolean>;
  hasAlert(key: { cohort: string; line: string; version: number; windowStartMs: number }): Promise<boolean>;
  alerts(query: { line?: string; limit: number }): Promise<DriftAlertRow[]>;
  deviceAlarms(query: { line?: string; limit: number }): Promise<Record<string, unknown>[]>;
}

export function createDriftStore(options: { database: Database }): DriftStore {
  const { db, tables } = options.database;
  const { devices, driftAlerts, driftWindows, events } = tables;
  return {
    async insertWindow({ deviceId, seq, sketch, receivedAt }) {
      const insert = prepareOnce<{ id: number }[]>(options.database, 'drift.insertWindow', (db, t) =>
        db
          .insert(t.driftWindows)
          .values(
            placeholders([
              'deviceId',
              'seq',
              'line',
              'version',
              'windowStartMs',
              'windowEndMs',
              'count',
              'sketch',
              'receivedAt',
            ]),
          )
          .onConflictDoNothing()
          .returning({ id: t.driftWindows.id }),
      );
      const inserted = await insert.execute({
        deviceId,
        seq,
        line: sketch.line,
        version: sketch.version,
        windowStartMs: sketch.windowStartMs,
        windowEndMs: sketch.windowEndMs,
        count: sketch.count,
        sketch,
        receivedAt,
      });
      return inserted.length === 1;
    },
    async windows({ line, version, cohort, fromMs, toMs }) {
      const conditions: SQL[] = [eq(driftWindows.line, line), eq(driftWindows.version, version)];
      if (fromMs !== undefined) conditions.push(gte(driftWindows.windowStartMs, fromMs));
      if (toMs !== undefined) conditions.push(lt(driftWindows.windowStartMs, toMs));
      if (cohort.kind === 'group') conditions.push(eq(devices.group, cohort.name));
      const rows = await db
        .select({
          deviceId: driftWindows.deviceId,
          sketch: driftWindows.sketch,
          group: devices.group,
          tags: devices.tags,
        })
        .from(driftWindows)
        .innerJoin(devices, eq(devices.id, driftWindows.deviceId))
        .where(and(...conditions))
        .orderBy(desc(driftWindows.windowStartMs), driftWindows.id);
      return rows.filter((row) => inCohort(cohort, row)).map(({ deviceId, sketch }) => ({ deviceId, sketch }));
    },
    async insertAlert(row) {
      const inserted = await db.insert(driftAlerts).values(row).onConflictDoNothing().returning({ id: driftAlerts.id });
      return inserted.length === 1;
    },
    async hasAlert({ cohort, line, version, windowStartMs }) {
      const match = and(
        eq(driftAlerts.cohort, cohort),
        eq(driftAlerts.line, line),
        eq(driftAlerts.version, version),
        eq(driftAlerts.windowStartMs, windowStartMs),
      );
      return (await db.select({ id: driftAlerts.id }).from(driftAlerts).where(match).limit(1)).length === 1;
    },
    async alerts({ line, limit }) {
      const rows = await db
        .select()
        .from(driftAlerts)
        .where(line === undefined ? undefined : eq(driftAlerts.line, line))
        .orderBy(desc(driftAlerts.createdAt), desc(driftAlerts.id))
        .limit(limit);
      return rows.map(({ id: _id, ...rest }) => rest);
    },
    deviceAlarms({ line, limit }) {
      const kind = eq(events.kind, 'drift-alarm');
      return db
        .select({
          deviceId: events.deviceId,
          seq: events.seq,
          at: events.at,
          line: events.line,
          version: events.version,
          drift: events.drift,
          receivedAt: events.receivedAt,
        })
        .from(events)
        .where(line === undefined ? kind : and(kind, eq(events.line, line)))
        .orderBy(desc(events.at), desc(events.id))
        .limit(limit);
    },
  };
}
