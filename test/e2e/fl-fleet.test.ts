/**
 * Federated retraining on a real fleet: a control plane and real agents over MQTT, each agent
 * holding its own slice of the iris training rows in its sample store (fed through the agent's API). The
 * coordinator runs rounds — tfjs training on the devices, FedAvg or secure aggregation on the control
 * plane, evaluation on a held-out set — registers the best model as a new signed version with lineage, and
 * hands it to a staged rollout that puts it on the same devices, where it serves predictions. A device
 * with too few samples declines every task.
 */
import { encodeEvalSet } from '@edgefleet/control-plane';
import { initialMlpWeights } from '@edgefleet/protocol';
import { type Fleet, startFleet, waitFor } from '@edgefleet/test';
import { irisDataset, splitIris } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';

const SPEC = { kind: 'mlp', layers: [4, 16, 3], activation: 'relu' } as const;
let fleet: Fleet | null = null;

afterEach(async () => {
  await fleet?.close();
  fleet = null;
});

async function fleetWithSamples(devices: number, poorDevice: boolean): Promise<{ fleet: Fleet; evalSet: string }> {
  const split = splitIris(irisDataset(), { seed: 3 });
  const started = await startFleet({ group: 'fl', agent: { fl: { minSamples: 10 } } });
  for (let d = 0; d < devices; d++) {
    const agent = await started.addAgent();
    const rows = split.train.features
      .map((features, i) => ({ features, label: split.train.labels[i] as number }))
      .filter((_, i) => i % devices === d);
    agent.samples.add('iris-fl', { rows });
  }
  if (poorDevice) {
    const poor = await started.addAgent();
    poor.samples.add('iris-fl', { rows: [{ features: split.train.features[0] as number[], label: 0 }] });
  }
  const set = { x: Float32Array.from(split.test.features.flat()), y: Uint8Array.from(split.test.labels), features: 4 };
  const res = await fetch(`${started.cp.httpUrl}/v1/fl/eval-sets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${started.cp.adminToken}`, 'content-type': 'application/cbor' },
    body: encodeEvalSet(set),
  });
  expect(res.status).toBe(201);
  return { fleet: started, evalSet: ((await res.json()) as { digest: string }).digest };
}

describe('federated retraining on a fleet of real agents', () => {
  it('trains over MQTT, registers the best model with lineage and rolls it out to the devices', async () => {
    const setup = await fleetWithSamples(3, true);
    fleet = setup.fleet;
    const job = {
      line: 'iris-fl',
      selector: { group: 'fl' },
      spec: SPEC,
      init: { seed: 11 },
      evalSet: setup.evalSet,
      rounds: 4,
      fraction: 1,
      minClients: 3,
      epochs: 20,
      batchSize: 10,
      lr: 0.02,
      deadlineMs: 20_000,
      rollout: { selector: { group: 'fl' }, waves: [{ percent: 100 }] },
    };
    const created = await fleet.api.post<{ id: string }>('/v1/fl/jobs', job);
    expect(created.status).toBe(201);
    const done = await fleet.cp.fl.settled(created.body.id);
    expect(done.state).toBe('completed');
    const accuracies = done.rounds
      .filter((r) => r.state === 'completed')
      .map((r) => (r.metrics as { accuracy: number }).accuracy);
    expect(accuracies).toHaveLength(4);
    expect(Math.max(...accuracies)).toBeGreaterThanOrEqual(0.8);
    expect(done.rounds[0]?.metrics).toMatchObject({ participants: 3, declined: 1 });
    const [rich, , , poor] = fleet.agents;
    expect(poor?.stats().fl.declined['not-enough-samples']).toBe(4);
    expect(rich?.stats().fl.submitted).toBe(4);

    const version = done.registeredVersion as number;
    const registered = await fleet.api.get<{
      manifest: { lineage: { training: { jobId: string; accuracy: number } } };
    }>(`/v1/models/iris-fl/versions/${version}`);
    expect(registered.body.manifest.lineage.training).toMatchObject({
      jobId: created.body.id,
      accuracy: Math.max(...accuracies),
    });
    expect(done.rolloutId).not.toBeNull();
    for (const agent of fleet.agents) {
      await waitFor(() => agent.installed().some((m) => m.line === 'iris-fl' && m.version === version), {
        what: `${agent.deviceId} to run the trained model`,
        timeoutMs: 20_000,
      });
    }
    const prediction = await rich?.predict('iris-fl', [[5.1, 3.5, 1.4, 0.2]]);
    expect(prediction?.outputs[0]).toHaveLength(3);
  });

  it('aggregates masked updates from real agents to the same model as plain aggregation', async () => {
    const setup = await fleetWithSamples(3, false);
    fleet = setup.fleet;
    const base = { line: 'iris-fl', selector: { group: 'fl' }, spec: SPEC, init: { seed: 5 }, evalSet: setup.evalSet };
    const common = {
      ...base,
      rounds: 1,
      fraction: 1,
      minClients: 3,
      epochs: 2,
      batchSize: 10,
      lr: 0.01,
      register: 'none',
      seed: 9,
    };
    const plain = await fleet.api.post<{ id: string }>('/v1/fl/jobs', common);
    await fleet.cp.fl.settled(plain.body.id);
    const masked = await fleet.api.post<{ id: string }>('/v1/fl/jobs', {
      ...common,
      secureAggregation: true,
      acceptWindowMs: 5_000,
    });
    const maskedJob = await fleet.cp.fl.settled(masked.body.id);
    expect(maskedJob.state).toBe('completed');
    const weights = async (id: string) =>
      new Float32Array(
        await (
          await fetch(`${fleet?.cp.httpUrl}/v1/fl/jobs/${id}/weights`, {
            headers: { authorization: `Bearer ${fleet?.cp.adminToken}` },
          })
        ).arrayBuffer(),
      );
    const [a, b] = [await weights(plain.body.id), await weights(masked.body.id)];
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs((a[i] as number) - (b[i] as number)));
    expect(maxDiff).toBeLessThan(1e-3);
    // …and the round did train: the weights moved away from the job's starting point.
    const start = initialMlpWeights(SPEC, 5);
    expect(Math.max(...a.map((v, i) => Math.abs(v - (start[i] as number))))).toBeGreaterThan(1e-3);
  });
});
