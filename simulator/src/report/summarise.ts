/**
 * The end-of-run part of the report: the rehearsed rollout's outcome (state, waves with their gate
 * decisions, reason), the traffic per cohort and version (champion vs candidate), and the fleet's final
 * state — devices per version, devices whose active model is not exactly a registered bundle (a
 * half-installed model would show here), failures, crashes and what the network did to the links.
 */
import type { ControlPlane } from '@edgefleet/control-plane';
import type { VirtualDevice } from '../fleet/virtual-device.js';
import type { Scenario } from '../scenario/scenario-schema.js';
import type { ReportEvent, Sample, SimulationReport } from './report-types.js';
import type { TrafficStats } from './traffic-stats.js';

export async function summarise(options: {
  scenario: Scenario;
  model: SimulationReport['model'];
  traffic: ReadonlyMap<string, TrafficStats>;
  cp: ControlPlane;
  devices: readonly VirtualDevice[];
  rolloutId: string | null;
  models: SimulationReport['models'];
  samples: Sample[];
  events: ReportEvent[];
  driftAlerts: SimulationReport['driftAlerts'];
}): Promise<SimulationReport> {
  const { scenario, cp, devices } = options;
  const view = options.rolloutId === null ? null : await cp.rollouts.get(options.rolloutId);
  const digests = new Set<string>();
  for (const version of [options.models.champion, options.models.candidate, options.models.rollback]) {
    if (version === null || version <= 0) continue;
    const response = await cp.app.request(`/v1/models/${options.model.line}/versions/${version}`, {
      headers: { authorization: `Bearer ${cp.adminToken}` },
    });
    const body = (await response.json()) as { manifest?: { digest?: string } };
    if (body.manifest?.digest !== undefined) digests.add(body.manifest.digest);
  }
  const byVersion: Record<string, number> = {};
  const links = { connects: 0, refused: 0, cuts: 0, corrupted: 0 };
  let notOnRegisteredBundle = 0;
  let installFailures = 0;
  let crashes = 0;
  let devicesCutRepeatedly = 0;
  for (const device of devices) {
    const model = device
      .agent()
      ?.installed()
      .find((m) => m.line === options.model.line);
    const key = model === undefined ? 'none' : String(model.version);
    byVersion[key] = (byVersion[key] ?? 0) + 1;
    if (model !== undefined && !digests.has(model.digest)) notOnRegisteredBundle++;
    installFailures += device.counters.installFailed;
    crashes += device.counters.crashes;
    const s = device.link.stats;
    links.connects += s.connects;
    links.refused += s.refused;
    links.cuts += s.cuts;
    links.corrupted += s.corrupted;
    if (s.cuts >= 2) devicesCutRepeatedly++;
  }
  return {
    scenario: scenario.name,
    seed: scenario.seed,
    devices: devices.length,
    cohorts: scenario.fleet.cohorts.map((c) => ({
      name: c.name,
      devices: c.devices,
      hardware: c.hardware,
      network: c.network,
    })),
    durationMin: scenario.durationMin,
    model: options.model,
    models: options.models,
    rollout: {
      state: view?.state ?? 'not-started',
      waves: (view?.waves ?? []).map((w) => ({
        index: w.index,
        state: w.state,
        devices: w.devices.length,
        gates: w.gates,
      })),
      reason: view?.reason ?? null,
    },
    driftAlerts: options.driftAlerts,
    traffic: scenario.fleet.cohorts.map((c) => {
      const totals = options.traffic.get(c.name)?.totals() ?? { noModel: 0, streams: 0, byVersion: {} };
      return { cohort: c.name, generator: c.data.generator, ...totals };
    }),
    events: options.events,
    samples: options.samples,
    final: { byVersion, notOnRegisteredBundle, installFailures, crashes, links, devicesCutRepeatedly },
  };
}
