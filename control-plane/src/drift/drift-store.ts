/**
 * Persistence of fleet drift: device drift windows (once per device and seq, like every device record),
 * cohort alerts (once per cohort and aligned window) and the read side of device `drift-alarm` events.
 * Cohort membership is resolved against the devices table at read time, so re-tagging a device moves its
 * history with it.
 */
import type { DriftSketch } from '@edgefleet/protocol';
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/open-database.js';
import { devices, driftAlerts, driftWindows, events } from '../db/schema.js';
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
  insertWindow(row: { deviceId: string; seq: number; sketch: DriftSketch; receivedAt: number }): boolean;
  /** Windows of one model version in a cohort with fromMs ≤ windowStartMs < toMs, newest first. */
  windows(query: {
    line: string;
    version: number;
    cohort: Cohort;
    fromMs?: number;
    toMs?: number;
  }): StoredDriftWindow[];
  /** false when the cohort already has an alert for that window. */
  insertAlert(row: DriftAlertRow): boolean;
  hasAlert(key: { cohort: string; line: string; version: number; windowStartMs: number }): boolean;
  alerts(query: { line?: string; limit: number }): DriftAlertRow[];
  deviceAlarms(query: { line?: string; limit: number }): Record<string, unknown>[];
}

export function createDriftStore(options: { db: Db }): DriftStore {
  const { db } = options;
  return {
    insertWindow({ deviceId, seq, sketch, receivedAt }) {
      const result = db
        .insert(driftWindows)
        .values({
          deviceId,
          seq,
          line: sketch.line,
          version: sketch.version,
          windowStartMs: sketch.windowStartMs,
          windowEndMs: sketch.windowEndMs,
          count: sketch.count,
          sketch,
          receivedAt,
        })
        .onConflictDoNothing()
        .run();
      return result.changes === 1;
    },
    windows({ line, version, cohort, fromMs, toMs }) {
      const conditions: SQL[] = [eq(driftWindows.line, line), eq(driftWindows.version, version)];
      if (fromMs !== undefined) conditions.push(gte(driftWindows.windowStartMs, fromMs));
      if (toMs !== undefined) conditions.push(lt(driftWindows.windowStartMs, toMs));
      if (cohort.kind === 'group') conditions.push(eq(devices.group, cohort.name));
      return db
        .select({
          deviceId: driftWindows.deviceId,
          sketch: driftWindows.sketch,
          group: devices.group,
          tags: devices.tags,
        })
        .from(driftWindows)
        .innerJoin(devices, eq(devices.id, driftWindows.deviceId))
        .where(and(...conditions))
        .orderBy(desc(driftWindows.windowStartMs), driftWindows.id)
        .all()
        .filter((row) => inCohort(cohort, row))
        .map(({ deviceId, sketch }) => ({ deviceId, sketch }));
    },
    insertAlert(row) {
      return db.insert(driftAlerts).values(row).onConflictDoNothing().run().changes === 1;
    },
    hasAlert({ cohort, line, version, windowStartMs }) {
      const match = and(
        eq(driftAlerts.cohort, cohort),
        eq(driftAlerts.line, line),
        eq(driftAlerts.version, version),
        eq(driftAlerts.windowStartMs, windowStartMs),
      );
      return db.select({ id: driftAlerts.id }).from(driftAlerts).where(match).get() !== undefined;
    },
    alerts({ line, limit }) {
      return db
        .select()
        .from(driftAlerts)
        .where(line === undefined ? undefined : eq(driftAlerts.line, line))
        .orderBy(desc(driftAlerts.createdAt), desc(driftAlerts.id))
        .limit(limit)
        .all()
        .map(({ id: _id, ...rest }) => rest);
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
        .limit(limit)
        .all();
    },
  };
}
