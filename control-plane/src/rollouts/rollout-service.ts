/**
 * Rollouts (single wave for now): assigning a model version to every device of a group, recording the
 * per-device status and advancing it from what devices report (progress, installed list) and their install
 * events. A group's current assignment per line is its newest rollout for that line, which is also what a
 * device enrolling later receives. Later waves and gates plug in between `create` and the per-device
 * `assign` calls (DESIGN.md §5).
 */
import { randomBytes } from 'node:crypto';
import type { EventRecord, ReportedMessage } from '@edgefleet/protocol';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../db/open-database.js';
import { rolloutDevices, rollouts } from '../db/schema.js';
import type { Assignment, DesiredState } from '../desired/desired-state.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import { ControlPlaneError } from '../errors.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import {
  countStatuses,
  type DeviceRolloutStatus,
  type RolloutState,
  rolloutStateOf,
  type StatusCounts,
  transitionDeviceStatus,
} from './device-status.js';

export interface RolloutView {
  readonly id: string;
  readonly line: string;
  readonly version: number;
  readonly group: string;
  readonly createdAt: number;
  readonly state: RolloutState;
  readonly counts: StatusCounts;
  readonly devices: { deviceId: string; status: DeviceRolloutStatus; error?: string }[];
}

export interface RolloutService {
  create(options: { line: string; version: number; group: string; createdBy: string }): Promise<RolloutView>;
  get(id: string): RolloutView;
  list(): RolloutView[];
  /** Gives a newly enrolled device its group's current assignments (if any). */
  onDeviceEnrolled(deviceId: string): Promise<void>;
  onReported(deviceId: string, reported: ReportedMessage): void;
  onEvent(deviceId: string, event: EventRecord): void;
}

export function createRolloutService(options: {
  db: Db;
  devices: DeviceRegistry;
  registry: ModelRegistry;
  desired: DesiredState;
  now: () => number;
  logger: Logger;
}): RolloutService {
  const { db, now, logger } = options;

  const view = (row: typeof rollouts.$inferSelect): RolloutView => {
    const members = db
      .select()
      .from(rolloutDevices)
      .where(eq(rolloutDevices.rolloutId, row.id))
      .orderBy(rolloutDevices.deviceId)
      .all();
    const counts = countStatuses(members.map((m) => m.status));
    return {
      ...row,
      state: rolloutStateOf(counts),
      counts,
      devices: members.map((m) => ({
        deviceId: m.deviceId,
        status: m.status,
        ...(m.error === null ? {} : { error: m.error }),
      })),
    };
  };

  /** The newest rollout per line for a group: the group's current assignments. */
  const groupAssignments = (group: string) => {
    const latest = new Map<string, typeof rollouts.$inferSelect>();
    for (const r of db
      .select()
      .from(rollouts)
      .where(eq(rollouts.group, group))
      .orderBy(desc(rollouts.createdAt), desc(sql`rowid`))
      .all()) {
      if (!latest.has(r.line)) latest.set(r.line, r);
    }
    return [...latest.values()];
  };

  const assignGroupState = async (deviceId: string, group: string, rolloutId: string) => {
    const assignments: Assignment[] = groupAssignments(group).map((r) => ({ line: r.line, version: r.version }));
    await options.desired.assign({ deviceId, assignments, rolloutId });
  };

  const advance = (
    deviceId: string,
    match: { line: string; version: number },
    to: DeviceRolloutStatus,
    error?: string,
  ) => {
    const rows = db
      .select({ m: rolloutDevices, r: rollouts })
      .from(rolloutDevices)
      .innerJoin(rollouts, eq(rolloutDevices.rolloutId, rollouts.id))
      .where(
        and(eq(rolloutDevices.deviceId, deviceId), eq(rollouts.line, match.line), eq(rollouts.version, match.version)),
      )
      .all();
    for (const { m } of rows) {
      if (m.status === to) continue;
      try {
        transitionDeviceStatus(m.status, to);
      } catch (cause) {
        logger.debug({ deviceId, rolloutId: m.rolloutId, err: cause }, 'ignored rollout status update');
        continue;
      }
      db.update(rolloutDevices)
        .set({ status: to, error: error ?? null, updatedAt: now() })
        .where(and(eq(rolloutDevices.rolloutId, m.rolloutId), eq(rolloutDevices.deviceId, deviceId)))
        .run();
      logger.info(
        { deviceId, rolloutId: m.rolloutId, line: match.line, version: match.version, status: to },
        'rollout device status',
      );
    }
  };

  const get = (id: string) => {
    const row = db.select().from(rollouts).where(eq(rollouts.id, id)).get();
    if (row === undefined) throw new ControlPlaneError('NOT_FOUND', `no rollout ${id}`, { details: { rolloutId: id } });
    return view(row);
  };

  return {
    async create({ line, version, group, createdBy }) {
      options.registry.get(line, version); // NOT_FOUND for an unknown version, before anything is recorded
      const id = `ro-${randomBytes(6).toString('hex')}`;
      const members = options.devices.inGroup(group);
      db.transaction((tx) => {
        tx.insert(rollouts).values({ id, line, version, group, createdBy, createdAt: now() }).run();
        for (const d of members) {
          tx.insert(rolloutDevices)
            .values({ rolloutId: id, deviceId: d.id, status: 'pending', updatedAt: now() })
            .run();
        }
      });
      logger.info({ rolloutId: id, line, version, group, devices: members.length }, 'rollout created');
      for (const d of members) await assignGroupState(d.id, group, id);
      return get(id);
    },
    get,
    list: () => db.select().from(rollouts).orderBy(desc(rollouts.createdAt), desc(sql`rowid`)).all().map(view),
    async onDeviceEnrolled(deviceId) {
      const device = options.devices.get(deviceId);
      const current = groupAssignments(device.group);
      if (current.length === 0) return;
      for (const r of current) {
        db.insert(rolloutDevices).values({ rolloutId: r.id, deviceId, status: 'pending', updatedAt: now() }).run();
      }
      const newest = current.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
      await assignGroupState(deviceId, device.group, newest.id);
    },
    onReported(deviceId, reported) {
      if (reported.install !== null) advance(deviceId, reported.install, 'installing');
      for (const m of reported.installed) advance(deviceId, m, 'installed');
    },
    onEvent(deviceId, event) {
      if (event.line === undefined || event.version === undefined) return;
      const target = { line: event.line, version: event.version };
      if (event.kind === 'install-started') advance(deviceId, target, 'installing');
      if (event.kind === 'install-completed') advance(deviceId, target, 'installed');
      if (event.kind === 'install-failed')
        advance(deviceId, target, 'failed', event.error?.message ?? 'install failed');
    },
  };
}
