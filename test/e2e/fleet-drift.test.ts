import type { Agent } from '@edgefleet/agent';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, irisStream, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';

const SITES = ['site-a', 'site-b', 'site-c', 'site-d'] as const;
const DRIFTED = 'site-c';
const ROWS_PER_DEVICE = 300;

interface Alert {
  cohort: string;
}

describe('fleet drift', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('flags exactly the cohort of 5 agents fed drifted data, and nothing for the 15 others', async () => {
    fleet = await startFleet({
      controlPlane: { drift: { windowMs: 2000, graceMs: 500, judgeIntervalMs: 100 } },
    });
    const bySite = new Map<string, Agent[]>();
    for (const site of SITES) {
      const agents: Agent[] = [];
      for (let i = 0; i < 5; i++) agents.push(await fleet.addAgent({ tags: [site] }));
      bySite.set(site, agents);
    }
    const iris = buildIrisModels();
    const model = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
      reference: { rows: irisStream({ rows: 1500, seed: 1 }), featureNames: iris.meta.featureNames },
    });
    await rolloutAndWait(fleet, { line: 'iris', version: model.version, timeoutMs: 30_000 });

    let seed = 100;
    for (const [site, agents] of bySite) {
      for (const agent of agents) {
        await agent.predict('iris', irisStream({ rows: ROWS_PER_DEVICE, seed: seed++, drifted: site === DRIFTED }));
        await agent.flushTelemetry();
      }
    }

    const alerts = await waitFor(
      async () => {
        const r = await fleet!.api.get<{ alerts: Alert[] }>('/v1/drift/alerts?line=iris&limit=100');
        return r.body.alerts.some((a) => a.cohort === `tag:${DRIFTED}`) && r.body.alerts;
      },
      { what: `a drift alert for tag:${DRIFTED}`, timeoutMs: 15_000 },
    );
    // Let every other cohort window close and be judged before asserting that none alerted.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const final = (await fleet.api.get<{ alerts: Alert[] }>('/v1/drift/alerts?line=iris&limit=100')).body.alerts;
    const cohorts = new Set(final.map((a) => a.cohort));
    expect(cohorts.has(`tag:${DRIFTED}`)).toBe(true);
    // Only cohorts that contain the drifted devices may alert: the tag itself, and the whole fleet / group.
    for (const cohort of cohorts) expect([`tag:${DRIFTED}`, 'group:lab', 'all']).toContain(cohort);
    expect(alerts.length).toBeGreaterThan(0);

    for (const site of SITES.filter((s) => s !== DRIFTED)) {
      const r = await fleet.api.get(`/v1/drift/iris/${model.version}?cohort=tag:${site}`);
      expect(r.status).toBe(200);
      const windows = r.body.windows as Array<{ level: string; rows: number }>;
      expect(windows.reduce((s, w) => s + w.rows, 0)).toBe(5 * ROWS_PER_DEVICE);
      expect(windows.map((w) => w.level)).not.toContain('alert');
    }
    const drifted = (await fleet.api.get(`/v1/drift/iris/${model.version}?cohort=tag:${DRIFTED}`)).body;
    // within a bounded number of windows: every window holding drifted rows is an alert
    expect(drifted.windows.every((w: { level: string }) => w.level === 'alert')).toBe(true);
    const petal = drifted.windows[0].features.find((f: { name: string }) => f.name === iris.meta.featureNames[2]);
    expect(petal.psi).toBeGreaterThan(0.25);
  });
});
