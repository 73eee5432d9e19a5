/**
 * The agent against a REAL control plane (HTTP + embedded aedes over TCP + SQLite) via the e2e harness:
 * enrolment, a rollout of the iris model, predictions identical to onnxruntime-node run directly, and a
 * restart on the same state directory that serves at once with no broker reachable.
 */
import { type Agent, createAgent } from '@edgefleet/agent';
import { freePort, waitFor } from '@edgefleet/test-kit';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, rawIrisProbabilities, registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const logger = pino({ level: 'silent' });
const iris = buildIrisModels();
let fleet: Fleet | undefined;
const extraAgents: Agent[] = [];

afterEach(async () => {
  await Promise.allSettled(extraAgents.splice(0).map((a) => a.close()));
  await fleet?.close();
  fleet = undefined;
});

async function rawOnnx(model: Uint8Array, rows: number[][]): Promise<number[][]> {
  const flat = await rawIrisProbabilities(model, rows);
  return rows.map((_, r) => flat.slice(r * 3, r * 3 + 3));
}

/** Stands the agent up on v1 of the iris line through the real control plane. */
async function onV1(): Promise<{ fleet: Fleet; agent: Agent }> {
  const started = await startFleet({ controlPlane: { logger }, agent: { logger } });
  const agent = await started.addAgent();
  await registerModel(started.api, {
    line: 'iris',
    model: iris.fp32,
    sampleInputs: iris.meta.sampleInputs,
    version: 1,
  });
  await rolloutAndWait(started, { line: 'iris', version: 1 });
  return { fleet: started, agent };
}

describe('agent with a real control plane', () => {
  it('enrols, installs a rolled-out model and predicts exactly what onnxruntime computes', async () => {
    fleet = await startFleet({ controlPlane: { logger }, agent: { logger } });
    const agent = await fleet.addAgent();
    await waitFor(() => agent.connectionState === 'online', { what: 'agent online', timeoutMs: 10_000 });
    await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
      version: 1,
    });
    await rolloutAndWait(fleet, { line: 'iris', version: 1 });

    const rows = iris.meta.testSet.features;
    const prediction = await agent.predict('iris', rows);
    expect(prediction.version).toBe(1);
    expect(prediction.outputs).toEqual(await rawOnnx(iris.fp32, rows));
    expect(agent.stats().rejections).toEqual({});

    // Telemetry: the inference window and the install events reach the control plane (PUBACK → deleted).
    await agent.flushTelemetry();
    await waitFor(() => agent.stats().outbox.pending === 0, { what: 'outbox drained', timeoutMs: 5000 });
    expect(agent.stats().inferences).toBe(1);
  });

  it('backs off without spinning when the broker refuses its credentials', async () => {
    fleet = await startFleet({ controlPlane: { logger }, agent: { logger } });
    const agent = await fleet.addAgent();
    await agent.close();
    fleet.agents.splice(0);
    const stateDir = `${fleet.dir}/agent-0`;
    const { readFile, writeFile } = await import('node:fs/promises');
    const credentials = JSON.parse(await readFile(`${stateDir}/credentials.json`, 'utf8'));
    credentials.mqtt.password = 'wrong';
    await writeFile(`${stateDir}/credentials.json`, JSON.stringify(credentials));
    const refused = await createAgent({ ...fleet.agentOptions(stateDir), backoff: { initialMs: 100, maxMs: 400 } });
    extraAgents.push(refused);
    await waitFor(() => refused.stats().authFailures >= 2, { what: 'two refused connects', timeoutMs: 5000 });
    expect(['backing-off', 'connecting']).toContain(refused.connectionState);
    await new Promise((r) => setTimeout(r, 500));
    expect(refused.stats().authFailures).toBeLessThan(12); // bounded by backoff, not a hot loop
  });

  it('after a restart on the same state dir, serves at once without the broker and never re-enrols', async () => {
    const setup = await onV1();
    fleet = setup.fleet;
    const { agent } = setup;
    const { deviceId } = agent;
    await agent.close();
    fleet.agents.splice(0);

    const stateDir = `${fleet.dir}/agent-0`;
    // No enrolment token: a second enrolment would fail, so passing proves the stored credentials are used.
    const restarted = await createAgent({
      ...fleet.agentOptions(stateDir),
      // freePort closes its probe server: nothing listens there, so the broker is unreachable.
      mqttUrl: `mqtt://127.0.0.1:${await freePort()}`,
      backoff: { initialMs: 50, maxMs: 200 },
    });
    extraAgents.push(restarted);
    expect(restarted.deviceId).toBe(deviceId);
    expect(restarted.installed()).toEqual([expect.objectContaining({ line: 'iris', version: 1 })]);
    const rows = iris.meta.sampleInputs.slice(0, 3);
    expect((await restarted.predict('iris', rows)).outputs).toEqual(await rawOnnx(iris.fp32, rows));
    await waitFor(() => restarted.connectionState === 'backing-off', { what: 'backing off', timeoutMs: 5000 });
  });

  it('upgrades to a new version, keeps serving during the swap, and reports it installed', async () => {
    const setup = await onV1();
    fleet = setup.fleet;
    const { agent } = setup;
    const v2 = buildIrisModels({ seed: 7, hidden: 512 });
    await registerModel(fleet.api, {
      line: 'iris',
      model: v2.fp32,
      sampleInputs: v2.meta.sampleInputs,
      version: 2,
      chunkBytes: 4096,
    });
    const installed: number[] = [];
    agent.events.on('installed', ({ version }) => installed.push(version));
    await rolloutAndWait(fleet, { line: 'iris', version: 2 });
    const rows = v2.meta.sampleInputs;
    expect((await agent.predict('iris', rows)).outputs).toEqual(await rawOnnx(v2.fp32, rows));
    // The 'installed' event follows activation once the old model is retired.
    await waitFor(() => installed.length > 0, { what: 'installed event', timeoutMs: 5000 });
    expect(installed).toEqual([2]);
  });
});
