/**
 * Staged rollouts of an image CNN (PaddleOCR's text-direction classifier, [N, 3, H, W] → softmax [N, 2])
 * over real TCP MQTT. The challenger is the real model with 2 added to its "rotated" logit: it registers,
 * passes its own self-test and answers confidently, but on the fleet's live images it says "rotated" far
 * more often. The plan names the compared output; the prediction-shift gate (live waves, drift windows of
 * that output) or the shadow gate (shadow wave, the device comparing that output by argmax) stops it in
 * wave 1 and the fleet is rolled back to the champion's content; the gate's numbers are on the rollout.
 */
import { readFile } from 'node:fs/promises';
import type { Agent } from '@edgefleet/agent';
import { encodeCbor, encodeTensorMap } from '@edgefleet/protocol';
import { biasedImageCnn, REAL_MODELS, seededImage } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectStatus,
  type Fleet,
  registerModel,
  rolloutAndWait,
  startFleet,
  waitFor,
  waitForRolloutEnd,
} from '../src/index.js';

const OUTPUT = 'softmax_0.tmp_0';
const TIMING = { installTimeoutMs: 15_000, observationMs: 2000 };
const COMPARE = { output: OUTPUT, mode: 'argmax' };

interface GateResult {
  gate: string;
  passed: boolean;
  value: number | null;
  threshold: number;
  outcome: 'passed' | 'failed' | 'skipped';
  detail: Record<string, unknown>;
}

const image = (seed: number) => ({ x: seededImage(seed) });

/** The reference set (CBOR `{ samples }`) and the summary features the drift profile counts. */
const referenceSamples = encodeCbor({ samples: Array.from({ length: 60 }, (_, i) => encodeTensorMap(image(i))) });
const reference = {
  driftFeatures: {
    inputs: [
      { input: 'x', summary: 'channel-mean', axis: 1 },
      { input: 'x', summary: 'channel-std', axis: 1 },
    ],
    output: { name: OUTPUT, summaries: ['confidence'] },
  },
};

async function register(fleet: Fleet, model: Uint8Array) {
  const samples = [0, 1, 2].map((i) => {
    const { x } = image(10_000 + i);
    return { x: { dtype: 'float32', dims: [...x.dims], data: Buffer.from(x.data.buffer).toString('base64') } };
  });
  return registerModel(fleet.api, { line: 'cnn', model, samples, reference, referenceSamples });
}

/** Live traffic: every agent classifies two fresh images every 100 ms and flushes telemetry, until stopped. */
function traffic(agents: readonly Agent[]): () => Promise<void> {
  let running = true;
  let seed = 50_000;
  const loop = (async () => {
    while (running) {
      for (const agent of agents) {
        for (let i = 0; i < 2; i++) await agent.infer('cnn', image(seed++)).catch(() => undefined);
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
 * Starts a 3-wave rollout of `version` that compares the named output and rolls back on a failed gate, waits
 * for its end and returns the rollout as the API shows it.
 */
async function rolloutToEnd(fleet: Fleet, version: number, plan: { waves: unknown[]; gates: Record<string, number> }) {
  const created = expectStatus(
    await fleet.api.post<{ id: string }>('/v1/rollouts', {
      line: 'cnn',
      version,
      selector: { group: 'lab' },
      ...plan,
      compare: COMPARE,
      onGateFailure: 'rollback',
      ...TIMING,
    }),
    201,
    'create rollout',
  );
  await waitForRolloutEnd(fleet.api, created.id, { timeoutMs: 30_000 });
  return (await fleet.api.get(`/v1/rollouts/${created.id}`)).body;
}

/** Every agent ends on the rollback version, which answers exactly like the champion. */
async function expectRolledBack(fleet: Fleet, rollbackVersion: number, champion: { digest: string; version: number }) {
  const manifest = (await fleet.api.get(`/v1/models/cnn/versions/${rollbackVersion}`)).body.manifest;
  expect(manifest.digest).toBe(champion.digest);
  expect(manifest.lineage.contentOf).toBe(champion.version);
  const probe = image(77);
  const [first, ...rest] = fleet.agents;
  for (const agent of fleet.agents) {
    await waitFor(() => agent.installed().some((m) => m.version === rollbackVersion), {
      what: `${agent.deviceId} on the rollback version`,
      timeoutMs: 15_000,
    });
  }
  const expected = (await (first as Agent).infer('cnn', probe)).outputs[OUTPUT]?.data;
  for (const agent of rest) {
    const out = await agent.infer('cnn', probe);
    expect(out.version).toBe(rollbackVersion);
    expect(out.outputs[OUTPUT]?.data).toEqual(expected);
  }
}

describe('staged rollouts of an image CNN gated on its named output', () => {
  let fleet: Fleet | undefined;
  let stopTraffic: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stopTraffic?.();
    await fleet?.close();
    fleet = stopTraffic = undefined;
  });

  async function fleetOnChampion() {
    fleet = await startFleet({ agents: 3, controlPlane: { rollouts: { tickMs: 100 } } });
    const champion = await register(fleet, new Uint8Array(await readFile(REAL_MODELS.imageCnn.path)));
    await rolloutAndWait(fleet, { line: 'cnn', version: champion.version, timeoutMs: 30_000 });
    const challenger = await register(fleet, biasedImageCnn(2));
    return { fleet, champion, challenger };
  }

  it('stops a biased challenger in wave 1 of 3 on prediction shift of the named output and rolls the fleet back', async () => {
    const { fleet, champion, challenger } = await fleetOnChampion();
    stopTraffic = traffic(fleet.agents);
    const done = await rolloutToEnd(fleet, challenger.version, {
      waves: [{ percent: 33 }, { percent: 67 }, { percent: 100 }],
      gates: { installFailureRate: 0.1, predictionShiftPsi: 0.25 },
    });
    expect(done.state).toBe('rolled-back');
    expect(done.waves[1].state).toBe('pending');
    const gates = done.waves[0].gates as GateResult[];
    const shift = gates.find((g) => g.gate === 'predictionShiftPsi') as GateResult;
    console.info('cnn rollout: wave 1 gates', JSON.stringify(gates));
    expect(shift).toMatchObject({
      outcome: 'failed',
      threshold: 0.25,
      detail: { output: OUTPUT, baseline: 'champion devices' },
    });
    expect(shift.value).toBeGreaterThan(0.25);
    const [newRotated, championRotated] = [shift.detail.newHistogram, shift.detail.championHistogram].map((h) => {
      const [upright, rotated] = h as [number, number];
      return rotated / (upright + rotated);
    });
    expect(newRotated).toBeGreaterThan((championRotated as number) + 0.3);
    expect(done.rollback.version).toBeGreaterThan(challenger.version);
    expect(done.rollback.gate).toEqual([expect.objectContaining({ gate: 'predictionShiftPsi', value: shift.value })]);
    await stopTraffic();
    stopTraffic = undefined;
    await expectRolledBack(fleet, done.rollback.version, champion);
  }, 60_000);

  it('stops it in its shadow wave on agreement over the named output; no device ever answers with it', async () => {
    const { fleet, challenger } = await fleetOnChampion();
    const answered = new Set<number>();
    const stop = traffic(fleet.agents);
    const watch = setInterval(() => {
      for (const agent of fleet.agents) for (const m of agent.installed()) answered.add(m.version);
    }, 20);
    stopTraffic = async () => {
      clearInterval(watch);
      await stop();
    };
    const done = await rolloutToEnd(fleet, challenger.version, {
      waves: [{ percent: 33, mode: 'shadow' }, { percent: 67 }, { percent: 100 }],
      gates: { shadowAgreement: 0.9 },
    });
    expect(done.state).toBe('rolled-back');
    const gate = (done.waves[0].gates as GateResult[]).find((g) => g.gate === 'shadowAgreement') as GateResult;
    console.info('cnn rollout: shadow wave gate', JSON.stringify(gate));
    expect(gate).toMatchObject({ outcome: 'failed', threshold: 0.9 });
    expect(gate.value).toBeLessThan(0.9);
    expect(gate.detail.rows).toBeGreaterThan(0);
    expect(answered.has(challenger.version)).toBe(false);
  }, 60_000);
});
