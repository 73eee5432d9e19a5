/**
 * A long broker outage while the device keeps inferring: every telemetry window within the outbox
 * bound reaches the control plane exactly once after reconnect, and beyond the bound exactly the oldest
 * windows are dropped and the drop counter — reported to the control plane — says how many. Windows are
 * one-minute windows closed explicitly (`flushTelemetry`), so a day of them takes seconds, not a day.
 */
import type { Agent } from '@edgefleet/agent';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';
import { randomInt, seededRandom } from '../src/seeded-random.js';

const iris = buildIrisModels();
const rows = iris.meta.testSet.features.slice(0, 2);

interface StoredWindow {
  seq: number;
  count: number;
}

/** A fleet of one agent on iris v1 with every startup record delivered, then the broker stopped. */
async function offlineAgent(telemetry: { maxQueueRows?: number } = {}) {
  // Day-long windows: only flushTelemetry() closes them, never a wall-clock minute boundary crossed mid-test
  // (which split one "minute" into two windows — seen once in fresh-check).
  const fleet = await startFleet({
    agents: 1,
    agent: { backoff: { initialMs: 50, maxMs: 300 }, telemetry: { windowMs: 24 * 60 * 60 * 1000, ...telemetry } },
  });
  const model = await registerModel(fleet.api, {
    line: 'iris',
    model: iris.fp32,
    sampleInputs: iris.meta.sampleInputs,
  });
  await rolloutAndWait(fleet, { line: 'iris', version: model.version });
  const agent = fleet.agents[0]!;
  // The rollout completes on the device's report of the new model; the agent's own install-completed event
  // comes after its slot clean-up, possibly after the outbox was seen empty (one record more offline: seen once).
  await agent.whenIdle();
  await agent.flushTelemetry();
  await waitFor(() => agent.stats().outbox.pending === 0, { what: 'startup events to be delivered' });
  await fleet.cp.broker.stop();
  await waitFor(() => agent.connectionState !== 'online', { what: 'the agent to notice the broker is gone' });
  return { fleet, agent };
}

/** `minutes` one-minute windows of 1-4 predictions each (seeded); returns each window's prediction count. */
async function inferOffline(agent: Agent, minutes: number, seed: number): Promise<number[]> {
  const random = seededRandom(seed);
  const counts: number[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    const n = randomInt(random, 1, 4);
    for (let i = 0; i < n; i++) await agent.predict('iris', rows);
    await agent.flushTelemetry();
    counts.push(n);
  }
  return counts;
}

async function reconnectAndCollect(fleet: Fleet, agent: Agent, expected: number): Promise<StoredWindow[]> {
  await fleet.cp.broker.start();
  await waitFor(() => agent.connectionState === 'online', { what: 'the agent to reconnect', timeoutMs: 10_000 });
  await waitFor(() => agent.stats().outbox.pending === 0, { what: 'the outbox to drain', timeoutMs: 20_000 });
  await fleet.cp.drain();
  const windows = (await fleet.api.get<StoredWindow[]>(`/v1/devices/${agent.deviceId}/telemetry?limit=1000`)).body;
  expect(windows.length).toBeGreaterThanOrEqual(expected);
  // The windows from before the outage were flushed with no predictions (none were stored); keep ours.
  return windows.sort((a, b) => a.seq - b.seq).slice(-expected);
}

describe('telemetry through a long broker outage', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('loses no window of a 100-minute outage within the default queue bound', async () => {
    const setup = await offlineAgent();
    fleet = setup.fleet;
    const counts = await inferOffline(setup.agent, 100, 1);
    expect(setup.agent.stats().outbox.pending).toBe(100);
    const windows = await reconnectAndCollect(fleet, setup.agent, 100);
    expect(windows.map((w) => w.count)).toEqual(counts);
    expect(new Set(windows.map((w) => w.seq)).size).toBe(100);
    expect(setup.agent.stats().outbox.dropped).toBe(0);
    const reported = await waitFor(
      async () => (await fleet!.api.get(`/v1/devices/${setup.agent.deviceId}`)).body.reported,
      { what: 'the reported state' },
    );
    expect(reported.telemetryDropped).toBe(0);
  });

  it('drops exactly the oldest windows of a 24-hour outage beyond a 500-row bound, and reports the exact count', async () => {
    const bound = 500;
    const minutes = 24 * 60;
    const setup = await offlineAgent({ maxQueueRows: bound });
    fleet = setup.fleet;
    const counts = await inferOffline(setup.agent, minutes, 2);
    expect(setup.agent.stats().outbox).toMatchObject({ pending: bound, dropped: minutes - bound });
    const delivered = await reconnectAndCollect(fleet, setup.agent, bound);
    // The newest `bound` windows, in order, each with its own prediction count.
    expect(delivered.map((w) => w.count)).toEqual(counts.slice(minutes - bound));
    const all = (await fleet.api.get<StoredWindow[]>(`/v1/devices/${setup.agent.deviceId}/telemetry?limit=1000`)).body;
    expect(all.filter((w) => w.count > 0)).toHaveLength(bound);
    await waitFor(
      async () =>
        (await fleet!.api.get(`/v1/devices/${setup.agent.deviceId}`)).body.reported?.telemetryDropped ===
        minutes - bound,
      { what: `the control plane to see ${minutes - bound} dropped windows` },
    );
  }, 120_000);
});
