import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/run/run-scenario.js';
import { loadScenario } from '../src/scenario/load-scenario.js';

/**
 * The shipped scenarios, run end to end: real agents, the real control plane, the virtual network and
 * clock. Small fleets (20-30 devices), so each run takes seconds.
 */
const scenario = (name: string) => loadScenario(fileURLToPath(new URL(`../scenarios/${name}.yaml`, import.meta.url)));

interface Gate {
  gate: string;
  outcome: string;
  value: number | null;
}

describe('rehearsed rollouts', () => {
  it('bad-model: stops the biased candidate in wave 1 on prediction shift and rolls every device back', async () => {
    const { report, cost } = await runScenario(await scenario('bad-model'));
    expect(report.rollout.state).toBe('rolled-back');
    // The rollout's wall time ends at its end state (rolled back), before the scenario's end.
    expect(cost.rolloutMs).toBeGreaterThan(0);
    expect(cost.rolloutMs).toBeLessThanOrEqual(cost.rolloutToEndMs);
    const [first, second, third] = report.rollout.waves;
    expect(first?.state).toBe('failed');
    const gates = (first?.gates ?? []) as Gate[];
    expect(gates.find((g) => g.gate === 'predictionShiftPsi')).toMatchObject({ outcome: 'failed' });
    expect(second?.state).toBe('pending');
    expect(third?.state).toBe('pending');
    // Rollback = a new, higher version with the champion's content, on every device.
    expect(report.models.rollback).toBeGreaterThan(report.models.candidate);
    expect(report.final.byVersion).toEqual({ [String(report.models.rollback)]: report.devices });
    expect(report.final.notOnRegisteredBundle).toBe(0);
  }, 120_000);

  it('a candidate due before the champion rollout ends waits for it, with the delay in the report', async () => {
    const base = await scenario('bad-model');
    const { report } = await runScenario({ ...base, durationMin: 150, rollout: { ...base.rollout, atMin: 0 } });
    const delayed = report.events.find((e) => e.type === 'rollout.delayed');
    expect(delayed?.atMin).toBe(0);
    // It still ran: stopped in wave 1 and rolled back, as at its scheduled time.
    expect(report.rollout.state).toBe('rolled-back');
    expect(report.final.byVersion).toEqual({ [String(report.models.rollback)]: report.devices });
  }, 120_000);

  it('flaky-network: 30 % of the fleet loses its link repeatedly, the rollout still converges, nothing half-installed', async () => {
    const { report, cost } = await runScenario(await scenario('flaky-network'));
    expect(cost.rolloutMs).toBeGreaterThan(0);
    expect(report.final.devicesCutRepeatedly).toBeGreaterThanOrEqual(0.3 * report.devices);
    expect(report.final.links.cuts).toBeGreaterThan(2 * 0.3 * report.devices);
    expect(report.final.crashes).toBeGreaterThan(0);
    expect(report.final.links.corrupted).toBeGreaterThan(0);
    expect(report.rollout.state).toBe('completed');
    expect(report.final.byVersion).toEqual({ [String(report.models.candidate)]: report.devices });
    expect(report.final.notOnRegisteredBundle).toBe(0);
  }, 120_000);

  it('drift: flags the drifted cohort, and only it', async () => {
    const { report } = await runScenario(await scenario('drift'));
    const flagged = new Set(report.driftAlerts.map((a) => a.cohort));
    expect(flagged.has('group:coast')).toBe(true);
    expect(flagged.has('group:inland')).toBe(false);
    expect(
      Math.min(...report.driftAlerts.filter((a) => a.cohort === 'group:coast').map((a) => a.atMin)),
    ).toBeGreaterThanOrEqual(120);
    const last = report.samples.at(-1);
    expect(last?.cohorts.coast?.driftPsi).toBeGreaterThan(0.25);
    expect(last?.cohorts.inland?.driftPsi).toBeLessThan(0.1);
  }, 120_000);
});
