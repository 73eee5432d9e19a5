/**
 * The demo's federated step: the line's starting model is rolled out (a device keeps training samples only
 * for a line it runs), each agent receives its third of the iris training rows through its local HTTP API
 * (the data stays on the device), the operator uploads a held-out set and starts a federated job over HTTP,
 * the agents train with tfjs and send only weight deltas, and the control plane registers the best model as
 * the line's next version and rolls it out to the same agents.
 */
import { encodeEvalSet } from '@edgefleet/control-plane';
import { buildIrisModels, irisDataset, splitIris } from '@edgefleet/test-kit/models';
import { type Fleet, registerModel, rolloutAndWait, waitFor } from '../src/index.js';

const LINE = 'iris-fl';

interface JobView {
  state: string;
  registeredVersion: number | null;
  rounds: { round: number; state: string; metrics: { accuracy?: number; participants?: number } }[];
}

export async function federatedStep(fleet: Fleet): Promise<JobView> {
  const start = buildIrisModels({ hidden: 16 });
  const first = await registerModel(fleet.api, {
    line: LINE,
    model: start.fp32,
    sampleInputs: start.meta.sampleInputs,
  });
  await rolloutAndWait(fleet, { line: LINE, version: first.version });
  const split = splitIris(irisDataset(), { seed: 3 });
  for (const [k, agent] of fleet.agents.entries()) {
    const rows = split.train.features
      .map((features, i) => ({ features, label: split.train.labels[i] as number }))
      .filter((_, i) => i % fleet.agents.length === k);
    const res = await fetch(`${agent.httpUrl}/v1/models/${LINE}/samples`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rows }),
    });
    if (res.status !== 202) throw new Error(`samples refused: HTTP ${res.status} ${await res.text()}`);
  }
  const evalSet = {
    x: Float32Array.from(split.test.features.flat()),
    y: Uint8Array.from(split.test.labels),
    features: 4,
  };
  const uploaded = await fetch(`${fleet.cp.httpUrl}/v1/fl/eval-sets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fleet.cp.adminToken}`, 'content-type': 'application/cbor' },
    body: encodeEvalSet(evalSet),
  });
  const { digest } = (await uploaded.json()) as { digest: string };
  const created = await fleet.api.post<{ id: string }>('/v1/fl/jobs', {
    line: LINE,
    selector: { group: 'lab' },
    spec: { kind: 'mlp', layers: [4, 16, 3], activation: 'relu' },
    init: { seed: 11 },
    evalSet: digest,
    rounds: 4,
    fraction: 1,
    minClients: fleet.agents.length,
    epochs: 20,
    batchSize: 10,
    lr: 0.02,
    deadlineMs: 30_000,
    rollout: { selector: { group: 'lab' }, waves: [{ percent: 100 }] },
  });
  if (created.status !== 201) throw new Error(`job refused: ${JSON.stringify(created.body)}`);
  const job = await waitFor(
    async () => {
      const view = (await fleet.api.get<JobView>(`/v1/fl/jobs/${created.body.id}`)).body;
      return view.state !== 'running' && view;
    },
    { what: 'the federated job', timeoutMs: 120_000 },
  );
  if (job.state !== 'completed' || job.registeredVersion === null) throw new Error(`federated job ${job.state}`);
  const version = job.registeredVersion;
  for (const agent of fleet.agents) {
    await waitFor(() => agent.installed().some((m) => m.line === LINE && m.version === version), {
      what: `${agent.deviceId} to run the trained model`,
      timeoutMs: 60_000,
    });
  }
  return job;
}
