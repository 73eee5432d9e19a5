/**
 * Staged rollouts (issue 4, DESIGN.md §5): creates a rollout from a plan (validating its targets: at least
 * one matching device, no device already in an active rollout of the line, a version above every
 * targeted device's champion), answers what is rolled out, applies operator actions (pause, resume, abort,
 * approve, rollback) and feeds device reports and install events to the orchestrator. Work on one rollout
 * is serialised; event-driven steps are coalesced so a burst of install events costs one step, not one per
 * event (bench: test/bench/rollout-orchestrator.ts). Late-enrolling devices get the rollout's current target.
 */
import { randomBytes } from 'node:crypto';
import type { EventRecord, ReportedMessage } from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';
import type { FleetEventListener } from '../events/event-bus.js';
import { type DeviceRolloutStatus, transitionDeviceStatus } from './device-status.js';
import { assignWaves, hardwareProfileOf, matchesSelector } from './membership.js';
import { createOrchestrator } from './orchestrator.js';
import { type RolloutPlan, waveModeOf } from './plan.js';
import { canRollBack } from './rollback.js';
import { move, planOf, type RolloutContext, record } from './rollout-context.js';
import { isActive, isResumable } from './rollout-state.js';
import { type MemberRow, stateOf } from './rollout-store.js';
import { type RolloutView, rolloutView } from './rollout-view.js';
import { assignTarget, currentVersionOf, targetOf } from './targets.js';

export type RolloutAction = 'pause' | 'resume' | 'abort' | 'approve' | 'rollback';

export interface RolloutService {
  /** `allowEmpty`: the legacy group body may target a group with no devices yet (they get it on enrolment). */
  create(options: { plan: RolloutPlan; createdBy: string; allowEmpty?: boolean }): Promise<RolloutView>;
  get(id: string): RolloutView;
  list(): RolloutView[];
  act(id: string, action: RolloutAction, options: { actor: string; reason?: string }): Promise<RolloutView>;
  /** Steps every active rollout (the clock's tick calls this). */
  tick(): Promise<void>;
  /** Gives a newly enrolled device the current target of every rollout whose selector it matches. */
  onDeviceEnrolled(deviceId: string): Promise<void>;
  onReported(deviceId: string, reported: ReportedMessage): Promise<void>;
  onEvent(deviceId: string, event: EventRecord): Promise<void>;
  on(event: 'event', listener: FleetEventListener): void;
  off(event: 'event', listener: FleetEventListener): void;
}

export function createRolloutService(ctx: RolloutContext): RolloutService {
  const { store, devices, logger } = ctx;
  const orchestrator = createOrchestrator(ctx);
  const chains = new Map<string, Promise<void>>();
  const queued = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier piece of work on the rollout. */
  const serial = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const result = (chains.get(id) ?? Promise.resolve()).then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    chains.set(id, tail);
    void tail.then(() => {
      if (chains.get(id) === tail) chains.delete(id);
    });
    return result;
  };

  const stepSafely = async (id: string) => {
    try {
      await orchestrator.step(id);
    } catch (error) {
      logger.error({ rolloutId: id, err: error }, 'rollout step failed');
    }
  };

  /** Coalesces: every caller until the step starts shares one step. */
  const schedule = (id: string): Promise<void> => {
    const existing = queued.get(id);
    if (existing !== undefined) return existing;
    const next = serial(id, async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      queued.delete(id);
      await stepSafely(id);
    });
    queued.set(id, next);
    return next;
  };

  const profileOf = (deviceId: string) => hardwareProfileOf(devices.get(deviceId), devices.reported(deviceId));

  const advance = (
    deviceId: string,
    match: { line: string; version: number },
    to: DeviceRolloutStatus,
    error?: string,
  ) => {
    const touched: string[] = [];
    for (const { m, r } of store.membershipsOf(deviceId)) {
      if (r.line !== match.line || r.version !== match.version || m.status === to) continue;
      try {
        transitionDeviceStatus(m.status, to);
      } catch (cause) {
        logger.debug({ deviceId, rolloutId: m.rolloutId, err: cause }, 'ignored rollout status update');
        continue;
      }
      store.updateMember(m.rolloutId, deviceId, { status: to, error: error ?? null });
      logger.info(
        { deviceId, rolloutId: m.rolloutId, line: match.line, version: match.version, status: to },
        'rollout device status',
      );
      if (isActive(stateOf(r))) touched.push(r.id);
    }
    return touched;
  };

  const validateTargets = (plan: RolloutPlan, allowEmpty: boolean) => {
    ctx.registry.get(plan.line, plan.version); // NOT_FOUND before anything is recorded
    const targeted = devices.list().filter((d) => matchesSelector(plan.selector, d, profileOf(d.id)));
    if (targeted.length === 0 && !allowEmpty) {
      throw new ControlPlaneError('BODY_INVALID', 'request body is invalid: selector matches no enrolled device', {
        details: { issues: [{ path: 'selector', message: 'matches no enrolled device' }] },
      });
    }
    const ids = new Set(targeted.map((d) => d.id));
    for (const r of store.active()) {
      if (r.line !== plan.line) continue;
      const busy = store.members(r.id).find((m) => ids.has(m.deviceId));
      if (busy !== undefined) {
        throw new ControlPlaneError('CONFLICT', `${busy.deviceId} is already in active rollout ${r.id} of ${r.line}`, {
          details: { rolloutId: r.id, deviceId: busy.deviceId },
        });
      }
    }
    const champions = targeted.map((d) => ({ deviceId: d.id, version: currentVersionOf(ctx, d.id, plan.line) }));
    const ahead = champions.find((c) => c.version !== null && c.version >= plan.version);
    if (ahead !== undefined) {
      throw new ControlPlaneError('CONFLICT', `${ahead.deviceId} already runs ${plan.line} v${ahead.version}`, {
        details: { deviceId: ahead.deviceId, champion: ahead.version, version: plan.version },
      });
    }
    if (plan.waves.some((w) => waveModeOf(w) === 'shadow') && champions.some((c) => c.version === null)) {
      throw new ControlPlaneError('CONFLICT', 'a shadow wave needs a champion on every targeted device', {
        details: { line: plan.line },
      });
    }
    return { targeted, champions: new Map(champions.map((c) => [c.deviceId, c.version])) };
  };

  const majority = (versions: (number | null)[]): number | null => {
    const tally = new Map<number, number>();
    for (const v of versions) if (v !== null) tally.set(v, (tally.get(v) ?? 0) + 1);
    return [...tally.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? null;
  };

  const get = (id: string) => rolloutView(store, store.get(id));

  return {
    async create({ plan, createdBy, allowEmpty = false }) {
      const { targeted, champions } = validateTargets(plan, allowEmpty);
      const id = `ro-${randomBytes(6).toString('hex')}`;
      const now = ctx.now();
      const members = assignWaves({
        rolloutId: id,
        devices: targeted,
        waves: plan.waves,
        profileOf: (d) => profileOf(d.id),
      });
      store.insert(
        {
          id,
          line: plan.line,
          version: plan.version,
          group: plan.selector.group ?? '',
          createdBy,
          createdAt: now,
          plan: { ...plan },
          state: 'pending',
          currentWave: 0,
          championVersion: majority([...champions.values()]),
          updatedAt: now,
        },
        plan.waves.map((w, index) => ({ rolloutId: id, index, mode: waveModeOf(w), state: 'pending' })),
        members.map(
          (m): MemberRow => ({
            rolloutId: id,
            deviceId: m.deviceId,
            status: 'pending',
            error: null,
            updatedAt: now,
            wave: m.wave,
            rank: m.rank,
            assignedAt: null,
            championVersion: champions.get(m.deviceId) ?? null,
          }),
        ),
      );
      logger.info(
        { rolloutId: id, line: plan.line, version: plan.version, devices: members.length },
        'rollout created',
      );
      record(ctx, { type: 'rollout.transition', rolloutId: id, from: null, to: 'pending', wave: 0 }, createdBy);
      await serial(id, () => stepSafely(id));
      return get(id);
    },
    get,
    list: () => store.all().map((r) => rolloutView(store, r)),
    act(id, action, { actor, reason }) {
      store.get(id); // NOT_FOUND first
      return serial(id, async () => {
        const row = store.get(id);
        const state = stateOf(row);
        const by = { actor, ...(reason === undefined ? {} : { reason }) };
        if (action === 'pause') move(ctx, row, 'paused', { ...by, fields: { pausedFrom: state } });
        if (action === 'abort') move(ctx, row, 'aborted', by);
        if (action === 'resume') {
          if (state !== 'paused' || !isResumable(row.pausedFrom)) {
            throw new ControlPlaneError('INVALID_TRANSITION', `rollout ${id} is ${state}, not paused`, {
              details: { state },
            });
          }
          move(ctx, row, row.pausedFrom, { ...by, fields: { pausedFrom: null } });
        }
        if (action === 'approve') {
          if (state !== 'awaiting-approval') {
            throw new ControlPlaneError('INVALID_TRANSITION', `rollout ${id} is ${state}, not awaiting approval`, {
              details: { state },
            });
          }
          orchestrator.advanceAfterPass(row, planOf(row), actor);
        }
        if (action === 'rollback') {
          if (!canRollBack(ctx, row)) {
            throw new ControlPlaneError('CONFLICT', `rollout ${id}: no champion version to roll back to`);
          }
          const why = reason ?? 'manual rollback';
          const outcome = {
            ...((row.outcome ?? {}) as Record<string, unknown>),
            reason: why,
            rollback: { reason: why, manual: true },
          };
          move(ctx, row, 'rolling-back', { actor, reason: why, fields: { outcome } });
        }
        await stepSafely(id);
        return get(id);
      });
    },
    async tick() {
      await Promise.all(store.active().map((r) => schedule(r.id)));
    },
    async onDeviceEnrolled(deviceId) {
      const device = devices.get(deviceId);
      const profile = profileOf(deviceId);
      const newestPerLine = new Map<string, ReturnType<typeof store.get>>();
      for (const r of store.all()) {
        if (!newestPerLine.has(r.line) && matchesSelector(planOf(r).selector, device, profile))
          newestPerLine.set(r.line, r);
      }
      for (const r of newestPerLine.values()) {
        const member: MemberRow = {
          rolloutId: r.id,
          deviceId,
          status: 'pending',
          error: null,
          updatedAt: ctx.now(),
          wave: planOf(r).waves.length - 1,
          rank: store.maxRank(r.id) + 1,
          assignedAt: null,
          championVersion: currentVersionOf(ctx, deviceId, r.line),
        };
        if (isActive(stateOf(r))) store.addMember(member);
        await serial(r.id, async () => {
          const row = store.get(r.id);
          const target = targetOf(row, store.member(r.id, deviceId) ?? member, store.waves(r.id));
          if (target === 'queued') return stepSafely(r.id);
          await assignTarget(ctx, row, deviceId, target);
          if (target !== null && store.member(r.id, deviceId) !== undefined) {
            store.updateMember(r.id, deviceId, { assignedAt: ctx.now() });
          }
        });
      }
    },
    async onReported(deviceId, reported) {
      const touched = new Set<string>();
      const add = (ids: string[]) => {
        for (const id of ids) touched.add(id);
      };
      if (reported.install !== null) add(advance(deviceId, reported.install, 'installing'));
      for (const m of reported.installed) add(advance(deviceId, m, 'installed'));
      // A shadow wave's install is the challenger running beside the champion.
      for (const m of reported.shadows ?? []) add(advance(deviceId, m, 'installed'));
      await Promise.all([...touched].map(schedule));
    },
    async onEvent(deviceId, event) {
      if (event.line === undefined || event.version === undefined) return;
      const target = { line: event.line, version: event.version };
      let touched: string[] = [];
      if (event.kind === 'install-started') touched = advance(deviceId, target, 'installing');
      if (event.kind === 'install-completed') touched = advance(deviceId, target, 'installed');
      if (event.kind === 'install-failed') {
        touched = advance(deviceId, target, 'failed', event.error?.message ?? 'install failed');
      }
      await Promise.all(touched.map(schedule));
    },
    on: (event, listener) => ctx.bus.on(event, listener),
    off: (event, listener) => ctx.bus.off(event, listener),
  };
}
