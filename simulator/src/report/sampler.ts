/**
 * Takes one report sample of the fleet at the current virtual instant: per cohort the installed versions,
 * online devices, outbox backlog, install failures, drift against the model reference (the control
 * plane's own cohort drift, `group:<cohort>`; iris only: drift profiles are tabular), the traffic since the
 * previous sample (served calls, errors, class shares or mean score), and the rehearsed rollout's state.
 */
import type { ControlPlane } from '@edgefleet/control-plane';
import type { VirtualDevice } from '../fleet/virtual-device.js';
import type { CohortSample, Sample } from './report-types.js';
import type { TrafficStats } from './traffic-stats.js';

export async function takeSample(options: {
  atMin: number;
  line: string;
  /** Whether the line's models carry a drift profile (the iris models do). */
  profiled: boolean;
  traffic: ReadonlyMap<string, TrafficStats>;
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
      const version = agent?.installed().find((m) => m.line === options.line)?.version;
      const key = version === undefined ? 'none' : String(version);
      versions[key] = (versions[key] ?? 0) + 1;
      if (agent?.connectionState === 'online') online++;
      backlog += agent?.stats().outbox.pending ?? 0;
      installFailures += device.counters.installFailed;
    }
    let best: { psi: number | null; level: string; rows: number } = {
      psi: null,
      level: options.profiled ? 'insufficient' : 'no-profile',
      rows: 0,
    };
    for (const version of options.profiled ? options.versions : []) {
      // `await` on purpose: the store layer is becoming async (PostgreSQL); this works either way.
      const result = await options.cp.drift.evaluate({
        line: options.line,
        version,
        cohort: `group:${name}`,
        sinceMs: options.driftSinceMs,
      });
      if (result.rows > best.rows) {
        const psi = Math.max(0, ...result.features.map((f) => f.psi));
        best = { psi: Math.round(psi * 1e4) / 1e4, level: result.level, rows: result.rows };
      }
    }
    const traffic = options.traffic.get(name)?.interval() ?? {
      served: 0,
      errors: 0,
      classShare: null,
      meanScore: null,
    };
    cohorts[name] = {
      versions,
      online,
      backlog,
      installFailures,
      driftPsi: best.psi,
      driftLevel: best.level,
      ...traffic,
    };
  }
  let rollout: Sample['rollout'] = null;
  if (options.rolloutId !== null) {
    const view = await options.cp.rollouts.get(options.rolloutId);
    rollout = { state: view.state, wave: view.currentWave, installed: view.counts.installed };
  }
  return { atMin: options.atMin, cohorts, rollout };
}
