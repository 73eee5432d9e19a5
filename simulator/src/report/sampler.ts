/**
 * Takes one report sample of the fleet at the current virtual instant: per cohort the installed versions,
 * online devices, outbox backlog, install failures and drift against the model reference (the control
 * plane's own cohort drift, `group:<cohort>`), and the rehearsed rollout's state.
 */
import type { ControlPlane } from '@edgefleet/control-plane';
import type { VirtualDevice } from '../fleet/virtual-device.js';
import type { CohortSample, Sample } from './report-types.js';

export async function takeSample(options: {
  atMin: number;
  devices: readonly VirtualDevice[];
  cp: ControlPlane;
  rolloutId: string | null;
  versions: readonly number[];
  driftSinceMs: number;
}): Promise<Sample> {
  const cohorts: Record<string, CohortSample> = {};
  const byCohort = new Map<string, VirtualDevice[]>();
  for (const device of options.devices) {
    const list = byCohort.get(device.cohort.name) ?? [];
    list.push(device);
    byCohort.set(device.cohort.name, list);
  }
  for (const [name, members] of byCohort) {
    const versions: Record<string, number> = {};
    let online = 0;
    let backlog = 0;
    let installFailures = 0;
    for (const device of members) {
      const agent = device.agent();
      const version = agent?.installed().find((m) => m.line === 'iris')?.version;
      const key = version === undefined ? 'none' : String(version);
      versions[key] = (versions[key] ?? 0) + 1;
      if (agent?.connectionState === 'online') online++;
      backlog += agent?.stats().outbox.pending ?? 0;
      installFailures += device.counters.installFailed;
    }
    let best: { psi: number | null; level: string; rows: number } = { psi: null, level: 'insufficient', rows: 0 };
    for (const version of options.versions) {
      // `await` on purpose: the store layer is becoming async (PostgreSQL); this works either way.
      const result = await options.cp.drift.evaluate({
        line: 'iris',
        version,
        cohort: `group:${name}`,
        sinceMs: options.driftSinceMs,
      });
      if (result.rows > best.rows) {
        const psi = Math.max(0, ...result.features.map((f) => f.psi));
        best = { psi: Math.round(psi * 1e4) / 1e4, level: result.level, rows: result.rows };
      }
    }
    cohorts[name] = { versions, online, backlog, installFailures, driftPsi: best.psi, driftLevel: best.level };
  }
  let rollout: Sample['rollout'] = null;
  if (options.rolloutId !== null) {
    const view = await options.cp.rollouts.get(options.rolloutId);
    rollout = { state: view.state, wave: view.currentWave, installed: view.counts.installed };
  }
  return { atMin: options.atMin, cohorts, rollout };
}
