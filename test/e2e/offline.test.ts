import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';

const iris = buildIrisModels();
const rows = iris.meta.testSet.features.slice(0, 3);

interface Window {
  seq: number;
  count: number;
}

describe('offline operation', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('keeps serving while the broker is down and delivers every queued telemetry window exactly once after reconnect', async () => {
    fleet = await startFleet({ agents: 1, agent: { backoff: { initialMs: 50, maxMs: 300 } } });
    const model = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: model.version });
    const agent = fleet.agents[0]!;

    await fleet.cp.broker.stop();
    await waitFor(() => agent.connectionState !== 'online', { what: 'the agent to notice the broker is gone' });

    const perWindow = [4, 7, 5];
    for (const n of perWindow) {
      for (let i = 0; i < n; i++) expect((await agent.predict('iris', rows)).version).toBe(model.version);
      await agent.flushTelemetry();
    }
    expect(agent.stats().outbox.pending).toBeGreaterThanOrEqual(perWindow.length);
    expect(agent.connectionState).not.toBe('online');

    await fleet.cp.broker.start();
    await waitFor(() => agent.connectionState === 'online', { what: 'the agent to reconnect', timeoutMs: 10_000 });
    const windows = await waitFor(
      async () => {
        const r = await fleet!.api.get<Window[]>(`/v1/devices/${agent.deviceId}/telemetry?limit=100`);
        return r.body.length >= perWindow.length && agent.stats().outbox.pending === 0 && r.body;
      },
      { what: 'queued telemetry to arrive' },
    );
    // let any duplicate publish land before counting
    await new Promise((resolve) => setTimeout(resolve, 300));
    const final = (await fleet.api.get<Window[]>(`/v1/devices/${agent.deviceId}/telemetry?limit=100`)).body;
    expect(final).toHaveLength(windows.length);
    expect(new Set(final.map((w) => w.seq)).size).toBe(final.length);
    expect(final.map((w) => w.count).sort((a, b) => a - b)).toEqual([...perWindow].sort((a, b) => a - b));
    expect(agent.stats().outbox.dropped).toBe(0);
  });
});
