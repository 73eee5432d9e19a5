/**
 * `pnpm demo`: the walking skeleton on one machine, no external services. Starts a control plane
 * (embedded MQTT broker, SQLite under .data/demo), enrols three agents, registers an iris classifier
 * (fp32, then an int8-quantized v2), rolls each out over MQTT, sends the iris test set to every agent's
 * local HTTP API, rolls out a real image CNN (any ONNX graph, named tensors) and serves images over the
 * binary local API, and prints what happened as the control plane saw it. Then it registers v3 with a reference
 * dataset (a drift profile), feeds one site's agent drifted sensor data, and shows which cohort the control
 * plane flags. A biased challenger is stopped by a prediction-shift gate in its first wave and the fleet rolls
 * back automatically. Finally a federated job trains a new model on the agents' own samples and rolls it
 * out. Exits 0 when all went well.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { type Fleet, irisStream, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';
import { federatedStep } from './fl-step.js';
import { gateStep } from './gate-step.js';
import { imageModelStep } from './image-model-step.js';

process.env.EDGEFLEET_LOG_LEVEL ??= 'silent';
const SITES = ['site-a', 'site-b', 'site-c'] as const;
const AGENTS = SITES.length;
const DRIFTED_SITE = 'site-c';
const STEPS = 10;
// EDGEFLEET_DEMO_DIR: where the demo keeps its state (the suite runs it in a temporary directory).
const dataDir = process.env.EDGEFLEET_DEMO_DIR ?? resolve(process.cwd(), '..', '.data', 'demo');
let stepNo = 0;

async function step<T>(title: string, fn: () => Promise<T>, done: (value: T) => string): Promise<T> {
  stepNo++;
  process.stdout.write(`[${stepNo}/${STEPS}] ${title} … `);
  const started = performance.now();
  const value = await fn();
  console.log(`${done(value)} (${Math.round(performance.now() - started)} ms)`);
  return value;
}

async function predictOverHttp(url: string, rows: number[][]) {
  const response = await fetch(`${url}/v1/models/iris/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ inputs: rows }),
  });
  if (response.status !== 200) throw new Error(`predict failed: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as { version: number; outputs: number[][] };
}

async function rollout(fleet: Fleet, version: number): Promise<void> {
  const timer = setInterval(() => {
    const done = fleet.agents.filter((a) => a.installed().some((m) => m.version === version)).length;
    process.stdout.write(`${done}/${AGENTS} `);
  }, 250);
  try {
    await rolloutAndWait(fleet, { line: 'iris', version, timeoutMs: 60_000 });
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  console.log('edgefleet demo — control plane + 3 agents on this machine (embedded MQTT broker, SQLite)\n');
  await rm(dataDir, { recursive: true, force: true });
  const fleet = await step(
    'starting the control plane and enrolling 3 agents',
    async () => {
      // Short drift windows so the demo sees a verdict in seconds (defaults: 60 s windows, 15 s grace).
      const f = await startFleet({
        dir: dataDir,
        agent: { httpApi: { port: 0 } },
        controlPlane: { drift: { windowMs: 1000, graceMs: 300, judgeIntervalMs: 100 } },
      });
      for (const site of SITES) await f.addAgent({ tags: [site] });
      return f;
    },
    (f) => `HTTP ${f.cp.httpUrl}, MQTT ${f.cp.mqttUrl}, devices ${f.agents.map((a) => a.deviceId).join(', ')}`,
  );
  try {
    const iris = await step(
      'training the iris classifier and exporting fp32 + int8 ONNX models',
      async () => buildIrisModels(),
      (m) => `fp32 ${m.fp32.length} B, int8 ${m.int8.length} B, train accuracy ${m.meta.trainAccuracy.toFixed(3)}`,
    );
    const v1 = await step(
      'registering iris v1 (fp32): the control plane builds, chunks and signs the bundle',
      () => registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs }),
      (m) => `v${m.version}, sha256 ${m.digest.slice(0, 12)}…, ${m.chunkCount} chunk(s)`,
    );
    await step(
      'rolling out v1 to group "lab" over MQTT',
      () => rollout(fleet, v1.version),
      () => 'all installed',
    );
    const v2 = await step(
      'registering iris v2 (int8-quantized) and rolling it out',
      async () => {
        const m = await registerModel(fleet.api, {
          line: 'iris',
          model: iris.int8,
          sampleInputs: iris.meta.sampleInputs,
          quantization: 'int8',
        });
        await rollout(fleet, m.version);
        return m;
      },
      (m) => `v${m.version} installed everywhere`,
    );
    const { features, labels } = iris.meta.testSet;
    const served = await step(
      `sending the ${features.length}-row iris test set to each agent's local HTTP API, row by row`,
      async () => {
        const out = new Map<string, { correct: number; count: number; version: number }>();
        for (const agent of fleet.agents) {
          let correct = 0;
          let version = 0;
          for (const [i, row] of features.entries()) {
            const r = await predictOverHttp(agent.httpUrl!, [row]);
            const probs = r.outputs[0]!;
            if (probs.indexOf(Math.max(...probs)) === labels[i]) correct++;
            version = r.version;
          }
          out.set(agent.deviceId, { correct, count: features.length, version });
          await agent.flushTelemetry();
        }
        return out;
      },
      (m) => `${[...m.values()].reduce((s, x) => s + x.count, 0)} predictions served`,
    );

    await step(
      'registering a real image CNN (PaddleOCR text direction) and serving images over the binary local API',
      () => imageModelStep(fleet),
      (r) =>
        `v${r.version} (input ${r.contract}) on every agent; ${r.served} images served as CBOR tensors, ${r.rotated} read as rotated 180°, ${r.meanLatencyMs.toFixed(2)} ms mean model time`,
    );

    console.log('\nWhat the control plane knows (from MQTT reported state and telemetry):\n');
    console.log('device            installed   predictions  accuracy  p95 latency');
    for (const agent of fleet.agents) {
      const device = (await fleet.api.get(`/v1/devices/${agent.deviceId}`)).body;
      const windows = await waitFor(
        async () => {
          const w = (await fleet.api.get(`/v1/devices/${agent.deviceId}/telemetry?limit=100`)).body as Array<{
            count: number;
            version: number;
            latencyMs: { p95: number };
          }>;
          const total = w.filter((x) => x.version === v2.version).reduce((s, x) => s + x.count, 0);
          return total >= features.length && w;
        },
        { what: `${agent.deviceId} telemetry`, timeoutMs: 10_000 },
      );
      const v2Windows = windows.filter((w) => w.version === v2.version);
      const count = v2Windows.reduce((s, w) => s + w.count, 0);
      const p95 = Math.max(...v2Windows.map((w) => w.latencyMs.p95));
      const installed = (device.reported.installed as Array<{ line: string; version: number }>)
        .filter((m) => m.line === 'iris')
        .map((m) => `${m.line} v${m.version}`)
        .join(', ');
      const s = served.get(agent.deviceId)!;
      console.log(
        `${agent.deviceId.padEnd(18)}${installed.padEnd(12)}${String(count).padEnd(13)}${(s.correct / s.count).toFixed(3).padEnd(10)}${p95.toFixed(3)} ms`,
      );
    }
    await driftStep(fleet, iris);
    await step(
      'rolling out a challenger skewed towards one class in 3 waves behind a prediction-shift gate',
      () => gateStep(fleet, { rows: irisStream({ rows: 1500, seed: 1 }), featureNames: iris.meta.featureNames }),
      (g) =>
        `stopped v${g.bad}: ${g.reason}; the fleet rolled back to v${g.rollbackVersion} (the content of v${g.contentOf}, re-signed)`,
    );
    const job = await step(
      'federated retraining: samples stay on the agents, tfjs trains there, only deltas reach the control plane',
      () => federatedStep(fleet),
      (j) => `iris-fl v${j.registeredVersion} registered with its lineage and rolled out to all agents`,
    );
    console.log('\nFederated rounds (FedAvg over 3 agents, held-out accuracy on the control plane):\n');
    for (const r of job.rounds) {
      console.log(
        `round ${r.round}  ${r.state.padEnd(10)}clients ${r.metrics.participants ?? '-'}  accuracy ${r.metrics.accuracy?.toFixed(3) ?? '-'}`,
      );
    }
    console.log(`\nState (SQLite, keys, agent slots) left in ${join(dataDir)} for inspection.`);
  } finally {
    await fleet.close();
  }
}

async function driftStep(fleet: Fleet, iris: ReturnType<typeof buildIrisModels>): Promise<void> {
  const v3 = await step(
    `registering iris v3 with a reference dataset (drift profile), rolling it out, feeding ${DRIFTED_SITE} drifted sensor data`,
    async () => {
      const m = await registerModel(fleet.api, {
        line: 'iris',
        model: iris.fp32,
        sampleInputs: iris.meta.sampleInputs,
        reference: { rows: irisStream({ rows: 1500, seed: 1 }), featureNames: iris.meta.featureNames },
      });
      await rollout(fleet, m.version);
      for (const [i, agent] of fleet.agents.entries()) {
        const drifted = SITES[i] === DRIFTED_SITE;
        await agent.predict('iris', irisStream({ rows: 300, seed: 10 + i, drifted }));
        await agent.flushTelemetry();
      }
      await waitFor(async () => (await fleet.api.get('/v1/drift/alerts?line=iris')).body.alerts.length > 0, {
        what: 'the drift verdict',
        timeoutMs: 15_000,
      });
      return m;
    },
    (m) => `v${m.version}: 300 rows per device, petals +1.2 cm on ${DRIFTED_SITE}`,
  );
  console.log('\nFleet drift per cohort (control plane, PSI of petal length vs the reference profile):\n');
  for (const cohort of [...SITES.map((s) => `tag:${s}`), 'all']) {
    const r = (await fleet.api.get(`/v1/drift/iris/${v3.version}?cohort=${cohort}`)).body;
    const w = r.windows[0];
    const petal = w?.features.find((f: { name: string }) => f.name === iris.meta.featureNames[2]);
    console.log(
      `${cohort.padEnd(14)}${String(w?.level ?? 'no data').padEnd(8)}PSI ${petal === undefined ? '-' : petal.psi.toFixed(3)}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('\ndemo failed:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
