/**
 * The rollout orchestrator's step (DESIGN.md §5): one function that looks at a rollout's persisted state
 * and moves it as far as it can right now — start a wave, time out installs (offline devices counted apart,
 * online ones failed), assign more devices within the concurrency budget, judge the install gates once the
 * wave has settled, judge every gate at the end of the observation window, promote a passing shadow wave,
 * advance, wait for approval, finish, or act on a failed gate (pause or roll back). It is driven by device
 * events and by the clock's tick, and is safe to re-run at any time (a restart simply runs it again).
 */
import { comparedOutput, DEFAULT_COMPARISON, type ManifestBody } from '@edgefleet/protocol';
import { transitionDeviceStatus } from './device-status.js';
import { evaluateGates, type GateResult, INSTALL_GATES } from './gates.js';
import { type RolloutPlan, waveModeOf } from './plan.js';
import { performRollback } from './rollback.js';
import { move, planOf, type RolloutContext, record } from './rollout-context.js';
import { type RolloutRow, stateOf, type WaveRow } from './rollout-store.js';
import { assignTarget, waveTarget } from './targets.js';

const MAX_MOVES_PER_STEP = 16;

/** The output whose predicted classes a manifest's drift profile counts. */
function profileOutputOf(manifest: ManifestBody): string | null {
  return manifest.profile?.driftFeatures?.output.name ?? manifest.outputs[0]?.name ?? null;
}

export function createOrchestrator(ctx: RolloutContext) {
  const { store } = ctx;

  const startWave = async (row: RolloutRow, index: number, actor?: string): Promise<RolloutRow> => {
    await store.updateWave(row.id, index, { state: 'installing', startedAt: ctx.now() });
    await record(ctx, { type: 'rollout.wave', rolloutId: row.id, wave: index, state: 'installing' }, actor);
    return move(ctx, row, 'wave-installing', { fields: { currentWave: index }, ...(actor ? { actor } : {}) });
  };

  /** Last wave passed: completed, or failed when some targeted devices failed to install. */
  const finish = async (row: RolloutRow, actor?: string): Promise<RolloutRow> => {
    const failed = (await store.members(row.id)).some((m) => m.status === 'failed');
    return move(ctx, row, failed ? 'failed' : 'completed', actor ? { actor } : {});
  };

  const advanceAfterPass = async (row: RolloutRow, plan: RolloutPlan, actor?: string): Promise<RolloutRow> => {
    if (row.currentWave >= plan.waves.length - 1) return finish(row, actor);
    if (plan.autoAdvance || actor !== undefined) return startWave(row, row.currentWave + 1, actor);
    return move(ctx, row, 'awaiting-approval', { reason: 'wave passed; autoAdvance is off' });
  };

  /** The output a version's answers are compared on, and the one its drift profile counts classes of. */
  const outputsOf = async (row: RolloutRow, version: number | null) => {
    if (version === null) return { compared: null, profiled: null };
    const { manifest } = await ctx.registry.get(row.line, version);
    const profiled = manifest.profile === undefined ? null : profileOutputOf(manifest);
    return { compared: comparedOutput(planOf(row).compare ?? DEFAULT_COMPARISON, manifest.outputs) ?? null, profiled };
  };

  const gateInput = async (row: RolloutRow, wave: WaveRow) => {
    const mine = await outputsOf(row, row.version);
    const theirs = await outputsOf(row, row.championVersion);
    const members = await store.members(row.id);
    const waveMembers = members.filter((m) => m.wave === wave.index);
    const count = (s: string) => waveMembers.filter((m) => m.status === s).length;
    return {
      line: row.line,
      version: row.version,
      championVersion: row.championVersion,
      mode: wave.mode,
      sinceMs: wave.startedAt ?? row.createdAt,
      waveDevices: new Set(waveMembers.map((m) => m.deviceId)),
      championDevices: new Set(members.filter((m) => m.wave > wave.index).map((m) => m.deviceId)),
      championReferenceClasses:
        row.championVersion === null
          ? null
          : ((await ctx.registry.get(row.line, row.championVersion)).manifest.profile?.output.counts ?? null),
      compare: planOf(row).compare,
      comparedOutput: { version: mine.compared, champion: theirs.compared },
      profileOutput: { version: mine.profiled, champion: theirs.profiled },
      installed: count('installed'),
      failed: count('failed'),
      offline: count('offline'),
    };
  };

  const recordGates = async (row: RolloutRow, wave: WaveRow, results: GateResult[]) => {
    const passed = results.every((r) => r.passed);
    await store.updateWave(row.id, wave.index, { gates: results.map((r) => ({ ...r })) });
    await record(ctx, { type: 'rollout.gate', rolloutId: row.id, wave: wave.index, passed, results });
    return passed;
  };

  const onGateFailure = async (
    row: RolloutRow,
    plan: RolloutPlan,
    wave: WaveRow,
    results: GateResult[],
  ): Promise<RolloutRow> => {
    await store.updateWave(row.id, wave.index, { state: 'failed', endedAt: ctx.now() });
    await record(ctx, { type: 'rollout.wave', rolloutId: row.id, wave: wave.index, state: 'failed' });
    const failing = results.filter((r) => !r.passed);
    const reason = `gate ${failing.map((r) => r.gate).join(', ')} failed in wave ${wave.index}`;
    const outcome = { reason, gate: failing, wave: wave.index };
    if (plan.onGateFailure === 'rollback' && row.championVersion !== null) {
      return move(ctx, row, 'rolling-back', {
        reason,
        fields: { outcome: { ...outcome, rollback: { reason, gate: failing } } },
      });
    }
    // A paused gate failure resumes into awaiting-approval: the operator decides whether the next wave starts.
    return move(ctx, row, 'paused', { reason, fields: { outcome, pausedFrom: 'awaiting-approval' } });
  };

  const installing = async (row: RolloutRow, plan: RolloutPlan): Promise<RolloutRow | null> => {
    const wave = await store.wave(row.id, row.currentWave);
    const deadline = ctx.now() - plan.installTimeoutMs;
    for (const m of await store.unsettled(row.id, wave.index, deadline)) {
      const offline =
        !(await ctx.devices.exists(m.deviceId)) || (await ctx.devices.get(m.deviceId)).connection === 'offline';
      const to = transitionDeviceStatus(m.status, offline ? 'offline' : 'failed');
      await store.updateMember(row.id, m.deviceId, {
        status: to,
        error: offline ? 'offline at install timeout' : 'install timeout',
      });
      ctx.logger.warn({ rolloutId: row.id, deviceId: m.deviceId, status: to }, 'rollout install timed out');
    }
    let counts = await store.waveCounts(row.id, wave.index);
    const free = plan.concurrency - counts.busy;
    if (free > 0 && counts.unassigned > 0) {
      for (const m of await store.nextUnassigned(row.id, wave.index, free)) {
        // Claim first: only the scheduler that wins the claim publishes the device's new desired state.
        const at = ctx.now();
        if (!(await store.claimAssignment(row.id, m.deviceId, at))) continue;
        try {
          await assignTarget(ctx, row, m.deviceId, waveTarget(row, m, wave.mode));
        } catch (error) {
          await store.releaseAssignment(row.id, m.deviceId, at);
          throw error;
        }
      }
      counts = await store.waveCounts(row.id, wave.index);
    }
    if (counts.unassigned > 0 || counts.busy > 0) return null;
    // Install gates can be judged as soon as the wave has settled; failing one ends the wave early.
    const early = await evaluateGates({
      gates: plan.gates,
      input: await gateInput(row, wave),
      data: ctx.data,
      which: INSTALL_GATES,
    });
    if (early.some((r) => !r.passed)) {
      await recordGates(row, wave, early);
      return onGateFailure(row, plan, wave, early);
    }
    await store.updateWave(row.id, wave.index, { state: 'observing', observeFrom: ctx.now() });
    await record(ctx, { type: 'rollout.wave', rolloutId: row.id, wave: wave.index, state: 'observing' });
    return move(ctx, row, 'wave-observing');
  };

  const promote = async (row: RolloutRow, wave: WaveRow) => {
    for (const m of await store.waveMembers(row.id, wave.index)) {
      if (m.assignedAt !== null) await assignTarget(ctx, row, m.deviceId, { version: row.version });
    }
  };

  const observing = async (row: RolloutRow, plan: RolloutPlan): Promise<RolloutRow | null> => {
    const wave = await store.wave(row.id, row.currentWave);
    if (ctx.now() < (wave.observeFrom ?? 0) + plan.observationMs) return null;
    const results = await evaluateGates({ gates: plan.gates, input: await gateInput(row, wave), data: ctx.data });
    if (!(await recordGates(row, wave, results))) return onGateFailure(row, plan, wave, results);
    if (wave.mode === 'shadow') await promote(row, wave);
    const state = wave.mode === 'shadow' ? 'promoted' : 'passed';
    await store.updateWave(row.id, wave.index, { state, endedAt: ctx.now() });
    await record(ctx, { type: 'rollout.wave', rolloutId: row.id, wave: wave.index, state });
    return advanceAfterPass(await store.get(row.id), plan);
  };

  const once = async (row: RolloutRow): Promise<RolloutRow | null> => {
    const plan = planOf(row);
    switch (stateOf(row)) {
      case 'pending':
        return startWave(row, 0);
      case 'wave-installing':
        return installing(row, plan);
      case 'wave-observing':
        return observing(row, plan);
      case 'rolling-back':
        return performRollback(ctx, row);
      default:
        return null;
    }
  };

  return {
    /** Moves the rollout as far as it can go now. */
    async step(id: string): Promise<void> {
      for (let i = 0; i < MAX_MOVES_PER_STEP; i++) {
        const row = await store.find(id);
        if (row === undefined || (await once(row)) === null) return;
      }
    },
    startWave,
    advanceAfterPass,
    waveModeOf,
  };
}

export type Orchestrator = ReturnType<typeof createOrchestrator>;
