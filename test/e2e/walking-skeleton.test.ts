import { buildIrisModels } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fleet, rawIrisProbabilities, registerModel, rolloutAndWait, startFleet, waitFor } from '../src/index.js';

const iris = buildIrisModels();
const rows = iris.meta.testSet.features;

describe('walking skeleton: a signed model reaches devices over MQTT and they report back', () => {
  let fleet: Fleet | undefined;
  afterEach(async () => {
    await fleet?.close();
    fleet = undefined;
  });

  it('3 agents over TCP MQTT serve exactly what raw onnxruntime computes, and the control plane sees versions and telemetry', async () => {
    fleet = await startFleet({ agents: 3, agent: { httpApi: { port: 0 } } });
    const model = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.fp32,
      sampleInputs: iris.meta.sampleInputs,
    });
    const rolloutId = await rolloutAndWait(fleet, { line: 'iris', version: model.version });

    const expected = await rawIrisProbabilities(iris.fp32, rows);
    for (const agent of fleet.agents) {
      const inProcess = await agent.predict('iris', rows);
      expect(inProcess.version).toBe(model.version);
      expect(inProcess.outputs.flat()).toEqual(expected);
      const typed = await agent.predictTensor('iris', {
        data: Float32Array.from(rows.flat()),
        shape: [rows.length, 4],
      });
      expect(Array.from(typed.output.data)).toEqual(expected);

      const response = await fetch(`${agent.httpUrl}/v1/models/iris/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: rows }),
      });
      expect(response.status).toBe(200);
      const overHttp = (await response.json()) as { version: number; outputs: number[][] };
      expect(overHttp.version).toBe(model.version);
      expect(overHttp.outputs.flat()).toEqual(expected);
      await agent.flushTelemetry();
    }

    const rollout = await waitFor(
      async () => {
        const r = await fleet!.api.get(`/v1/rollouts/${rolloutId}`);
        return r.body.state === 'completed' && r.body;
      },
      { what: 'the rollout to complete' },
    );
    expect(rollout.counts).toMatchObject({ installed: 3, failed: 0 });

    for (const agent of fleet.agents) {
      const device = await waitFor(
        async () => {
          const r = await fleet!.api.get(`/v1/devices/${agent.deviceId}`);
          return r.body.reported?.installed?.some((m: { version: number }) => m.version === model.version) && r.body;
        },
        { what: `${agent.deviceId} to report v${model.version}` },
      );
      expect(device.reported.installed).toEqual([
        expect.objectContaining({ line: 'iris', version: model.version, digest: model.digest }),
      ]);
      // three predictions per agent (rows, tensor, HTTP) must arrive as telemetry, counted once
      const windows = await waitFor(
        async () => {
          const r = await fleet!.api.get(`/v1/devices/${agent.deviceId}/telemetry`);
          const total = (r.body as Array<{ count: number }>).reduce((sum, w) => sum + w.count, 0);
          return total >= 3 && (r.body as Array<{ count: number; latencyMs: { p95: number } }>);
        },
        { what: `${agent.deviceId} telemetry` },
      );
      expect(windows.reduce((sum, w) => sum + w.count, 0)).toBe(3);
      expect(windows[0]!.latencyMs.p95).toBeGreaterThan(0);
    }
  });

  it('upgrades to an int8 model whose predictions match raw onnxruntime and agree with fp32 on the test set', async () => {
    fleet = await startFleet({ agents: 1 });
    const v1 = await registerModel(fleet.api, { line: 'iris', model: iris.fp32, sampleInputs: iris.meta.sampleInputs });
    await rolloutAndWait(fleet, { line: 'iris', version: v1.version });
    const v2 = await registerModel(fleet.api, {
      line: 'iris',
      model: iris.int8,
      sampleInputs: iris.meta.sampleInputs,
      quantization: 'int8',
    });
    await rolloutAndWait(fleet, { line: 'iris', version: v2.version });
    const [agent] = fleet.agents;
    const result = await agent!.predict('iris', rows);
    expect(result.version).toBe(2);
    expect(result.outputs.flat()).toEqual(await rawIrisProbabilities(iris.int8, rows));
    const fp32 = await rawIrisProbabilities(iris.fp32, rows);
    const maxDiff = Math.max(...result.outputs.flat().map((p, i) => Math.abs(p - fp32[i]!)));
    expect(maxDiff).toBeLessThan(0.05);
  });
});
