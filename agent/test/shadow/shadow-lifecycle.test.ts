import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIrisModels, irisDataset } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import type { Agent } from '../../src/index.js';
import { perturbsOutputs, wrapOnnx } from './runtimes.js';
import { type Harness, rawRun, type SignedModel, startHarness, type Tuning, waitFor } from './shadow-harness.js';

const champion = buildIrisModels({ seed: 1 });
const challenger = buildIrisModels({ seed: 2 });
const third = buildIrisModels({ seed: 3 });
const rows = irisDataset().features.slice(0, 20);
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

async function start(tuning: Tuning = {}) {
  const h = await startHarness(tuning);
  harness = h;
  return { h, v1: await h.model(1, champion.fp32), v2: await h.model(2, challenger.fp32) };
}

/** Agent events as `kind:version` (or `rejected:CODE`), in order. */
function watch(agent: Agent): string[] {
  const seen: string[] = [];
  const push = (kind: string) => (e: { version: number }) => seen.push(`${kind}:${e.version}`);
  agent.events.on('installed', push('installed'));
  agent.events.on('install-failed', push('install-failed'));
  agent.events.on('shadow-started', push('shadow-started'));
  agent.events.on('shadow-retired', push('shadow-retired'));
  agent.events.on('rejected', (e) => seen.push(`rejected:${e.code}`));
  return seen;
}

const shadowsOf = (h: Harness) => h.reported.at(-1)?.shadows?.map((s) => s.version);
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const slotDirs = async (h: Harness) =>
  (await readdir(join(h.stateDir, 'slots', 'iris'))).filter((n) => n.startsWith('v'));

async function shadowRunning(h: Harness, v1: SignedModel, v2: SignedModel): Promise<void> {
  h.desired(1, [{ manifest: v1, shadow: v2 }]);
  await waitFor(() => shadowsOf(h)?.length === 1 && h.agent.installed().length === 1, 'champion and shadow');
}

describe('shadow lifecycle', () => {
  it('brings the shadow back after a restart, before any broker is reachable', async () => {
    const { h, v1, v2 } = await start();
    await shadowRunning(h, v1, v2);
    const agent = await h.restart({ mqttUrl: 'mqtt://127.0.0.1:1' });
    expect(agent.installed().map((i) => i.version)).toEqual([1]);
    await agent.predict('iris', rows);
    await waitFor(() => agent.stats().shadow.runs === 1, 'a shadow run after restart');
    expect(agent.stats().shadow.errors).toBe(0);
  });

  it('retires the challenger when the desired state drops it', async () => {
    const { h, v1, v2 } = await start();
    const seen = watch(h.agent);
    await shadowRunning(h, v1, v2);
    h.desired(2, [{ manifest: v1 }]);
    await waitFor(() => seen.includes('shadow-retired:2'), 'shadow retired');
    await h.agent.whenIdle();
    await waitFor(() => shadowsOf(h)?.length === 0, 'reported without shadows');
    expect(await exists(join(h.stateDir, 'slots', 'iris', 'shadow.json'))).toBe(false);
    expect((await slotDirs(h)).map((d) => d.split('-')[0])).toEqual(['v1']);
    await h.agent.predict('iris', rows);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.agent.stats().shadow.runs).toBe(0);
  });

  it('promotes the challenger to champion from its verified slot, without fetching it again', async () => {
    const { h, v1, v2 } = await start();
    const seen = watch(h.agent);
    await shadowRunning(h, v1, v2);
    const fetchesOfV2 = h.fetchRequests.get(v2.body.digest);
    expect(fetchesOfV2).toBeGreaterThan(0);
    h.desired(2, [{ manifest: v2 }]);
    await waitFor(() => seen.includes('installed:2') && seen.includes('shadow-retired:2'), 'promotion');
    expect(h.fetchRequests.get(v2.body.digest)).toBe(fetchesOfV2);
    const prediction = await h.agent.predict('iris', rows);
    expect(prediction.version).toBe(2);
    expect(prediction.outputs.flat()).toEqual(Array.from(await rawRun(challenger.fp32, rows)));
    await waitFor(() => shadowsOf(h)?.length === 0, 'reported without shadows');
    expect(h.agent.stats().shadow.runs).toBe(0);
  });

  it('rejects a shadow that is not newer than the live version (DOWNGRADE) and keeps the champion', async () => {
    const { h, v1, v2 } = await start();
    const seen = watch(h.agent);
    h.desired(1, [{ manifest: v2, shadow: v1 }]);
    await waitFor(() => seen.includes('installed:2'), 'champion v2');
    expect(seen).toContain('rejected:DOWNGRADE');
    expect(h.fetchRequests.has(v1.body.digest)).toBe(false);
    h.desired(2, [{ manifest: v2, shadow: v2 }]); // equal to the champion: not newer either
    await waitFor(() => seen.filter((s) => s === 'rejected:DOWNGRADE').length === 2, 'second rejection');
    expect(shadowsOf(h) ?? []).toEqual([]);
  });

  it('accepts a lower champion assignment after a higher shadow (the shadow never raised the line)', async () => {
    const { h, v1, v2 } = await start();
    const seen = watch(h.agent);
    const v3 = await h.model(3, third.fp32);
    h.desired(1, [{ manifest: v1, shadow: v3 }]);
    await waitFor(() => seen.includes('installed:1') && seen.includes('shadow-started:3'), 'v1 with shadow v3');
    h.desired(2, [{ manifest: v2, shadow: v3 }]);
    await waitFor(() => seen.includes('installed:2'), 'champion v2');
    expect(seen.filter((s) => s.startsWith('rejected'))).toEqual([]);
    expect(h.fetchRequests.has(v3.body.digest)).toBe(true);
    expect(shadowsOf(h)).toEqual([3]);
    await h.agent.predict('iris', rows);
    await waitFor(() => h.agent.stats().shadow.runs === 1, 'v3 shadows v2');
  });

  it('fails the self-test on hardware whose runtime computes differently, and stays on its model', async () => {
    const { h, v1, v2 } = await start({
      hardwareProfile: 'npu-a1',
      runtime: wrapOnnx(challenger.fp32, perturbsOutputs),
    });
    const seen = watch(h.agent);
    h.desired(1, [{ manifest: v1 }]);
    await waitFor(() => seen.includes('installed:1'), 'v1');
    h.desired(2, [{ manifest: v2 }]);
    await waitFor(() => seen.includes('install-failed:2'), 'v2 failing');
    await h.agent.flushTelemetry();
    const failed = h.events.find((e) => e.kind === 'install-failed');
    expect(failed).toMatchObject({ line: 'iris', version: 2, error: { code: 'SELF_TEST_FAILED' } });
    expect(h.reported.at(-1)?.hardware.profile).toBe('npu-a1');
    const prediction = await h.agent.predict('iris', rows);
    expect(prediction.version).toBe(1);
    expect(prediction.outputs.flat()).toEqual(Array.from(await rawRun(champion.fp32, rows)));
  });

  it('does not run a challenger that fails its self-test, and reports install-failed for it', async () => {
    const { h, v1, v2 } = await start({ runtime: wrapOnnx(challenger.fp32, perturbsOutputs) });
    const seen = watch(h.agent);
    h.desired(1, [{ manifest: v1, shadow: v2 }]);
    await waitFor(() => seen.includes('installed:1') && seen.includes('install-failed:2'), 'v1, v2 failing');
    await h.agent.whenIdle();
    expect(seen).not.toContain('shadow-started:2');
    expect(shadowsOf(h) ?? []).toEqual([]);
    expect((await slotDirs(h)).map((d) => d.split('-')[0])).toEqual(['v1']);
    await h.agent.predict('iris', rows);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.agent.stats().shadow.runs).toBe(0);
  });
});
