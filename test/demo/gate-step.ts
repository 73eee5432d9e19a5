/**
 * The demo's safety step: a challenger biased towards one class (its
 * output layer shifted) is rolled out in three waves behind a prediction-shift gate. The first wave's
 * devices serve live traffic during the observation window, the gate compares their predicted classes with
 * the reference profile, fails, and the control plane rolls the whole fleet back: the previous model's
 * content, re-signed as a new, higher version, so no device ever needs a downgrade.
 */
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { type Fleet, irisStream, registerModel, waitFor } from '../src/index.js';

interface GateResult {
  gate: string;
  passed: boolean;
  value: number | null;
  threshold: number;
}

export interface GateStepResult {
  readonly bad: number;
  readonly reason: string;
  readonly rollbackVersion: number;
  readonly contentOf: number;
}

export async function gateStep(fleet: Fleet, reference: { rows: number[][]; featureNames: string[] }) {
  const biased = buildIrisModels({ seed: 42, outputBias: [0, 0, 4.5] });
  const bad = await registerModel(fleet.api, {
    line: 'iris',
    model: biased.fp32,
    sampleInputs: biased.meta.sampleInputs,
    reference,
  });
  const created = await fleet.api.post<{ id: string }>('/v1/rollouts', {
    line: 'iris',
    version: bad.version,
    selector: { group: 'lab' },
    waves: [{ percent: 34 }, { percent: 67 }, { percent: 100 }],
    gates: { installFailureRate: 0.1, predictionShiftPsi: 0.2 },
    onGateFailure: 'rollback',
    installTimeoutMs: 20_000,
    observationMs: 2_000,
  });
  if (created.status !== 201) throw new Error(`rollout refused: ${JSON.stringify(created.body)}`);
  // Live traffic on every device while the first wave is observed.
  let running = true;
  const traffic = (async () => {
    let seed = 5000;
    while (running) {
      for (const agent of fleet.agents) {
        await agent.predict('iris', irisStream({ rows: 40, seed: seed++ })).catch(() => undefined);
        await agent.flushTelemetry();
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    const done = await waitFor(
      async () => {
        const r = await fleet.api.get(`/v1/rollouts/${created.body.id}`);
        return ['rolled-back', 'completed', 'paused', 'failed'].includes(r.body.state) && r.body;
      },
      { what: 'the gated rollout to end', timeoutMs: 60_000, intervalMs: 100 },
    );
    if (done.state !== 'rolled-back') throw new Error(`the biased model was not stopped (${done.state})`);
    const failed = (done.waves[0].gates as GateResult[]).find((g) => !g.passed);
    const rollbackVersion = done.rollback.version as number;
    const manifest = (await fleet.api.get(`/v1/models/iris/versions/${rollbackVersion}`)).body.manifest;
    for (const agent of fleet.agents) {
      await waitFor(() => agent.installed().some((m) => m.line === 'iris' && m.version === rollbackVersion), {
        what: `${agent.deviceId} on the rollback version`,
        timeoutMs: 30_000,
      });
    }
    const reason =
      failed === undefined
        ? 'a gate failed in wave 1'
        : `${failed.gate} ${failed.value?.toFixed(2)} > ${failed.threshold} in wave 1`;
    return { bad: bad.version, reason, rollbackVersion, contentOf: manifest.lineage.contentOf as number };
  } finally {
    running = false;
    await traffic;
  }
}
