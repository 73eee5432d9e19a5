import { readFile } from 'node:fs/promises';
import { type Agent, createOnnxRuntime, type Runtime } from '@edgefleet/agent';
import type { Tensor } from '@edgefleet/protocol';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectStatus,
  type Fleet,
  irisStream,
  registerModel,
  rolloutAndWait,
  startFleet,
  waitFor,
} from '../src/index.js';

const champion = buildIrisModels({ seed: 42 });
const goodChallenger = buildIrisModels({ seed: 7 });
/** Registers, passes its self-test, answers confidently — and pushes live traffic toward "virginica". */
const biasedChallenger = buildIrisModels({ seed: 42, outputBias: [0, 0, 4.5] });
const reference = { rows: irisStream({ rows: 1500, seed: 1 }), featureNames: champion.meta.featureNames };

const FAST = { tickMs: 100 };
const TIMING = { installTimeoutMs: 10_000, observationMs: 1500 };

interface GateResult {
  gate: string;
  passed: boolean;
  value: number | null;
  threshold: number;
  outcome: 'passed' | 'failed' | 'skipped';
}

/** Live traffic: every agent predicts a few rows every 100 ms and flushes telemetry, until stopped. */
function traffic(agents: readonly Agent[]): () => Promise<void> {
  let running = true;
  let seed = 1000;
  const loop = (async () => {
    while (running) {
      for (const agent of agents) {
        await agent.predict('iris', irisStream({ rows: 40, seed: seed++ })).catch(() => undefined);
        await agent.flushTelemetry();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/**
 * An NPU delegate that mishandles integer matmul: fp32 models run correctly, int8 models (those with a
 * MatMulInteger node) come back with skewed probabilities — the on-device self-test must catch it.
 */
function npuWithoutIntegerMatmul(): Runtime {
  const cpu = createOnnxRuntime();
  return {
    name: cpu.name,
    async load(options) {
      const model = await cpu.load(options);
      const integer = (await readFile(options.modelPath)).includes('MatMulInteger');
      if (!integer) return model;
      return {
        async run(feeds, fetches) {
          const out = await model.run(feeds, fetches);
          const skew = (t: Tensor) =>
            ({ ...t, data: (t.data as Float32Array).map((p, i) => (i % 3 === 0 ? p * 0.5 : p)) }) as Tensor;
          return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, skew(t)]));
        },
        close: () => model.close(),
      };
    },
  };
}

async function fleetOnChampion(agents: number, options: { npuDevices?: number } = {}) {
  const fleet = await startFleet({
    controlPlane: { rollouts: FAST, drift: { windowMs: 500, graceMs: 100, judgeIntervalMs: 100 } },
  });
  for (let i = 0; i < agents; i++) {
    const npu = i < (options.npuDevices ?? 0);
    await fleet.addAgent({
      overrides: npu ? { hardwareProfile: 'npu-x', runtime: npuWithoutIntegerMatmul() } : { hardwareProfile: 'cpu' },
    });
  }
  const v1 = await registerModel(fleet.api, {
    line: 'iris',
    model: champion.fp32,
    sampleInputs: champion.meta.sampleInputs,
    reference,
  });
  await rolloutAndWait(fleet, { line: 'iris', version: v1.version, timeoutMs: 30_000 });
  return { fleet, v1 };
}

async function waitForState(fleet: Fleet, id: string, states: readonly string[], timeoutMs = 45_000) {
  return waitFor(
    async () => {
      const r = await fleet.api.get(`/v1/rollouts/${id}`);
      return states.includes(r.body.state) && r.body;
    },
    { what: `rollout ${id} to reach ${states.join(' or ')}`, timeoutMs, intervalMs: 100 },
  );
}

/** Registers a challenger version of the iris line with the shared reference dataset. */
function registerChallenger(fleet: Fleet, models: ReturnType<typeof buildIrisModels>, quantization?: 'int8') {
  return registerModel(fleet.api, {
    line: 'iris',
    model: quantization === 'int8' ? models.int8 : models.fp32,
    sampleInputs: models.meta.sampleInputs,
    reference,
    ...(quantization === undefined ? {} : { quantization }),
  });
}

async function startRollout(fleet: Fleet, plan: Record<string, unknown>): Promise<{ id: string }> {
  return expectStatus(
    await fleet.api.post('/v1/rollouts', { line: 'iris', ...TIMING, ...plan }),
    201,
    'create rollout',
  );
}

describe('staged rollouts gated on model health', () => {
  let fleet: Fleet | undefined;
  let stopTraffic: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stopTraffic?.();
    await fleet?.close();
    fleet = stopTraffic = undefined;
  });

  it('completes a 3-wave rollout of a good model: every targeted device ends on it', async () => {
    const setup = await fleetOnChampion(6);
    fleet = setup.fleet;
    const v2 = await registerChallenger(fleet, goodChallenger);
    stopTraffic = traffic(fleet.agents);
    const created = await startRollout(fleet, {
      version: v2.version,
      selector: { group: 'lab' },
      waves: [{ percent: 34 }, { percent: 67 }, { percent: 100 }],
      gates: { installFailureRate: 0.1, errorRate: 0.05, predictionShiftPsi: 0.25 },
    });
    const done = await waitForState(fleet, created.id, ['completed', 'rolled-back', 'paused']);
    expect(done.state).toBe('completed');
    expect(done.waves).toHaveLength(3);
    for (const wave of done.waves) {
      // every gate was actually judged on data, none skipped
      expect((wave.gates as GateResult[]).map((g) => [g.gate, g.outcome])).toEqual([
        ['installFailureRate', 'passed'],
        ['errorRate', 'passed'],
        ['predictionShiftPsi', 'passed'],
      ]);
    }
    for (const agent of fleet.agents) {
      await waitFor(() => agent.installed().some((m) => m.version === v2.version), { what: `${agent.deviceId} on v2` });
    }
  });

  it('stops an accurate-looking but biased challenger in wave 1 on prediction shift and rolls the fleet back', async () => {
    const setup = await fleetOnChampion(6);
    fleet = setup.fleet;
    const v2 = await registerChallenger(fleet, biasedChallenger);
    stopTraffic = traffic(fleet.agents);
    const created = await startRollout(fleet, {
      version: v2.version,
      selector: { group: 'lab' },
      waves: [{ percent: 34 }, { percent: 67 }, { percent: 100 }],
      gates: { installFailureRate: 0.1, predictionShiftPsi: 0.2 },
      onGateFailure: 'rollback',
    });
    const done = await waitForState(fleet, created.id, ['rolled-back', 'completed', 'paused']);
    expect(done.state).toBe('rolled-back');
    const failed = (done.waves[0].gates as GateResult[]).find((g) => g.gate === 'predictionShiftPsi');
    expect(failed).toMatchObject({ passed: false, threshold: 0.2 });
    expect(failed!.value).toBeGreaterThan(0.2);
    expect(done.waves[1].state).not.toBe('completed');
    // Rollback = the champion's content re-signed as a NEW, higher version, on every device.
    expect(done.rollback.version).toBeGreaterThan(v2.version);
    const rollbackVersion = done.rollback.version as number;
    const manifest = (await fleet.api.get(`/v1/models/iris/versions/${rollbackVersion}`)).body.manifest;
    expect(manifest.digest).toBe(setup.v1.digest);
    expect(manifest.lineage.contentOf).toBe(setup.v1.version);
    for (const agent of fleet.agents) {
      await waitFor(() => agent.installed().some((m) => m.version === rollbackVersion), {
        what: `${agent.deviceId} on the rollback version`,
      });
      const out = await agent.predict('iris', champion.meta.testSet.features.slice(0, 3));
      expect(out.version).toBe(rollbackVersion);
    }
  });

  it('stops an int8 model that fails its self-test on one hardware profile with the install-failure gate', async () => {
    const setup = await fleetOnChampion(6, { npuDevices: 4 });
    fleet = setup.fleet;
    const v2 = await registerChallenger(fleet, champion, 'int8');
    const created = await startRollout(fleet, {
      version: v2.version,
      selector: { hardwareProfile: 'npu-x' },
      waves: [{ percent: 50 }, { percent: 100 }],
      gates: { installFailureRate: 0.1, selfTestFailures: 0 },
      onGateFailure: 'pause',
    });
    const paused = await waitForState(fleet, created.id, ['paused', 'completed', 'rolled-back']);
    expect(paused.state).toBe('paused');
    const gate = (paused.waves[0].gates as GateResult[]).find((g) => g.gate === 'installFailureRate');
    expect(gate).toMatchObject({ passed: false, value: 1 });
    // The wave's devices reverted to v1; the rest of the profile was never touched; cpu devices were not targeted.
    for (const agent of fleet.agents) {
      expect(agent.installed()).toEqual([expect.objectContaining({ version: setup.v1.version })]);
    }
  });

  it('runs a good challenger in shadow first, then promotes it to live when its gates pass', async () => {
    const setup = await fleetOnChampion(4);
    fleet = setup.fleet;
    const v2 = await registerChallenger(fleet, goodChallenger);
    stopTraffic = traffic(fleet.agents);
    const created = await startRollout(fleet, {
      version: v2.version,
      selector: { group: 'lab' },
      waves: [{ percent: 50, mode: 'shadow' }, { percent: 100 }],
      gates: { shadowAgreement: 0.9, errorRate: 0.05 },
    });
    const done = await waitForState(fleet, created.id, ['completed', 'rolled-back', 'paused']);
    expect(done.state).toBe('completed');
    const agreement = (done.waves[0].gates as GateResult[]).find((g) => g.gate === 'shadowAgreement');
    expect(agreement?.outcome).toBe('passed');
    expect(agreement!.value).toBeGreaterThanOrEqual(0.9);
    for (const agent of fleet.agents) {
      await waitFor(() => agent.installed().some((m) => m.version === v2.version), { what: `${agent.deviceId} on v2` });
    }
  });

  it('stops the biased challenger in its shadow stage on shadow agreement; no device ever answers with it', async () => {
    const setup = await fleetOnChampion(4);
    fleet = setup.fleet;
    const v2 = await registerChallenger(fleet, biasedChallenger);
    const answered = new Set<number>();
    const stop = traffic(fleet.agents);
    const watch = setInterval(() => {
      for (const agent of fleet!.agents) for (const m of agent.installed()) answered.add(m.version);
    }, 20);
    stopTraffic = async () => {
      clearInterval(watch);
      await stop();
    };
    const created = await startRollout(fleet, {
      version: v2.version,
      selector: { group: 'lab' },
      waves: [{ percent: 50, mode: 'shadow' }, { percent: 100 }],
      gates: { shadowAgreement: 0.9 },
      onGateFailure: 'rollback',
    });
    const done = await waitForState(fleet, created.id, ['rolled-back', 'completed', 'paused']);
    expect(done.state).toBe('rolled-back');
    const gate = (done.waves[0].gates as GateResult[]).find((g) => g.gate === 'shadowAgreement');
    expect(gate).toMatchObject({ outcome: 'failed', threshold: 0.9 });
    expect(gate!.value).toBeLessThan(0.9);
    expect(answered.has(v2.version)).toBe(false);
  });
});
