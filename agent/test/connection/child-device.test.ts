import { decodeCbor, reportedMessageSchema, telemetryMessageSchema } from '@edgefleet/protocol';
import { buildIrisModels, irisDataset } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/index.js';
import { startChildAgent } from '../helpers/child-agent.js';
import { DEVICE_ID, type Harness, startHarness, waitFor } from '../shadow/shadow-harness.js';

const iris = buildIrisModels({ seed: 1 });
const CHILD_ID = `${DEVICE_ID}--mcu-1`;
const MCU_HARDWARE = { platform: 'mcu', arch: 'cortex-m4', cpus: 1, memoryBytes: 16_384, profile: 'emu-m4' };
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayWithChild(): Promise<{ h: Harness; child: Agent }> {
  const h = await startHarness();
  cleanups.push(() => h.cleanup());
  const child = await startChildAgent({
    gateway: h.agent,
    clock: h.clock,
    childName: 'mcu-1',
    hardware: MCU_HARDWARE,
    version: 'fw-1.4.2',
  });
  cleanups.push(() => child.close());
  return { h, child: child.agent };
}

const onTopic = (h: Harness, topic: string) => h.published.filter((m) => m.topic === topic);

describe('a child device over its gateway agent (DESIGN.md §6)', () => {
  it("reports, fetches, installs and sends telemetry in the gateway's bridge sub-tree, with its own id", async () => {
    const { h, child } = await gatewayWithChild();
    expect(child.deviceId).toBe(CHILD_ID);
    await waitFor(() => child.connectionState === 'online', 'the child to follow its gateway online');
    const reportedTopic = `ef/v1/${DEVICE_ID}/bridge/mcu-1/reported`;
    await waitFor(() => onTopic(h, reportedTopic).length > 0, 'the child to report');
    const first = decodeCbor(onTopic(h, reportedTopic)[0]!.payload, reportedMessageSchema);
    expect(first).toMatchObject({ agentVersion: 'fw-1.4.2', hardware: MCU_HARDWARE });

    h.desired(1, [{ manifest: await h.model(1, iris.fp32) }], CHILD_ID);
    await waitFor(() => child.installed().some((m) => m.version === 1), 'the child to install v1');
    expect(h.agent.installed()).toEqual([]);
    expect(onTopic(h, `ef/v1/${DEVICE_ID}/bridge/mcu-1/fetch/req`).length).toBeGreaterThan(0);
    expect(onTopic(h, `ef/v1/${DEVICE_ID}/fetch/req`)).toEqual([]);

    await child.predict('iris', irisDataset().features.slice(0, 5));
    await child.flushTelemetry();
    const telemetryTopic = `ef/v1/${DEVICE_ID}/bridge/mcu-1/telemetry`;
    await waitFor(() => onTopic(h, telemetryTopic).length > 0, 'child telemetry');
    const records = onTopic(h, telemetryTopic).flatMap((m) => decodeCbor(m.payload, telemetryMessageSchema).records);
    expect(records).toContainEqual(expect.objectContaining({ kind: 'inference', line: 'iris', version: 1, count: 1 }));
  });

  it("refuses a desired document addressed to the gateway even when it arrives on the child's topic", async () => {
    const { h, child } = await gatewayWithChild();
    const rejected: string[] = [];
    child.events.on('rejected', (e) => rejected.push(e.code));
    await waitFor(() => child.connectionState === 'online', 'the child online');
    h.desired(1, [{ manifest: await h.model(1, iris.fp32) }], DEVICE_ID, CHILD_ID);
    await waitFor(() => rejected.length > 0, 'the child to reject the misrouted document');
    expect(rejected).toEqual(['WRONG_DEVICE']);
    expect(child.installed()).toEqual([]);
    expect(h.agent.installed()).toEqual([]);
  });

  it('goes offline once closed and cannot carry children of its own', async () => {
    const { h, child } = await gatewayWithChild();
    await waitFor(() => child.connectionState === 'online', 'the child online');
    const states: string[] = [];
    child.events.on('state', (s) => states.push(s));
    expect(() => child.openChild('sub')).toThrow(/cannot carry children/);
    expect(() => h.agent.openChild('Bad--Name')).toThrow(/no valid child device id/);
    await child.close();
    expect(child.connectionState).toBe('offline');
    expect(states).toEqual(['offline']);
  });
});
