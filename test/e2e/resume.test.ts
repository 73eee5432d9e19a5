import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chunkRange, sha256Hex } from '@edgefleet/protocol';
import { freePort } from '@edgefleet/test-kit';
import { buildIrisModels } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess, writeAgentConfig } from '../src/agent-process.js';
import { expectStatus, type Fleet, registerModel, startFleet, waitFor } from '../src/index.js';
import { fetchManifest } from './attack-kit.js';

// Wide enough for ~130 one-KiB chunks; trained briefly because only its size matters here.
const wide = buildIrisModels({ hidden: 4096, epochs: 5 });

async function verifiedChunks(
  partPath: string,
  manifest: { chunks: readonly string[]; chunkBytes: number; sizeBytes: number },
) {
  const bytes = await readFile(partPath).catch(() => Buffer.alloc(0));
  return manifest.chunks.filter((hash, i) => {
    const { start, end } = chunkRange(i, manifest.chunkBytes, manifest.sizeBytes);
    return end <= bytes.length && sha256Hex(bytes.subarray(start, end)) === hash;
  }).length;
}

describe('resumable fetch', () => {
  let fleet: Fleet | undefined;
  let agentProcess: AgentProcess | undefined;
  afterEach(async () => {
    await agentProcess?.kill();
    await fleet?.close();
    fleet = agentProcess = undefined;
  });

  it('completes after kill -9 mid-fetch without refetching the chunks it had verified', async () => {
    fleet = await startFleet();
    const model = await registerModel(fleet.api, {
      line: 'iris',
      model: wide.fp32,
      sampleInputs: wide.meta.sampleInputs,
      chunkBytes: 1024,
    });
    const { body: manifest } = await fetchManifest(fleet, 'iris', model.version);
    expect(model.chunkCount).toBeGreaterThan(100);

    const token = expectStatus(await fleet.api.post('/v1/enrolment-tokens', { group: 'lab' }), 201, 'token').token;
    const stateDir = join(fleet.dir, 'agent-proc');
    const configPath = join(fleet.dir, 'agent.json');
    const httpPort = await freePort();
    await writeAgentConfig(configPath, {
      stateDir,
      rootPublicKeys: fleet.cp.rootPublicKeysHex,
      controlPlaneUrl: fleet.cp.httpUrl,
      enrolmentToken: token,
      httpApi: { port: httpPort },
      logLevel: 'info',
      fetch: { windowChunks: 1 },
    });
    agentProcess = startAgentProcess(configPath);
    const deviceId = await waitFor(
      async () =>
        (await fleet!.api.get<Array<{ deviceId: string; online: boolean }>>('/v1/devices')).body.find((d) => d.online)
          ?.deviceId,
      { what: 'the agent process to enrol and connect', timeoutMs: 20_000 },
    );

    expectStatus(
      await fleet.api.post('/v1/rollouts', { line: 'iris', version: model.version, group: 'lab' }),
      201,
      'rollout',
    );
    const served = () => fleet!.cp.metrics.snapshot().chunksServedByDevice[deviceId] ?? 0;
    await waitFor(() => served() >= 25, { what: 'the fetch to be well under way', intervalMs: 1 });
    await agentProcess.kill('SIGKILL');
    await fleet.cp.drain();
    const servedBeforeKill = served();
    expect(servedBeforeKill).toBeLessThan(model.chunkCount);

    const partPath = join(stateDir, 'downloads', `${model.digest}.part`);
    const verifiedBeforeRestart = await verifiedChunks(partPath, manifest);
    expect(verifiedBeforeRestart).toBeGreaterThanOrEqual(20);
    expect(verifiedBeforeRestart).toBeLessThan(model.chunkCount);

    agentProcess = startAgentProcess(configPath);
    await waitFor(
      async () => {
        const r = await fleet!.api.get(`/v1/devices/${deviceId}`);
        return r.body.reported?.installed?.some((m: { version: number }) => m.version === model.version);
      },
      { what: 'the restarted agent to install the model', timeoutMs: 30_000 },
    );
    const servedAfterRestart = served() - servedBeforeKill;
    // Exactly the missing chunks, give or take one in-flight window.
    expect(servedAfterRestart).toBeGreaterThanOrEqual(model.chunkCount - verifiedBeforeRestart);
    expect(servedAfterRestart).toBeLessThanOrEqual(model.chunkCount - verifiedBeforeRestart + 1);

    // The resumed bundle is the real model: the child serves what raw onnxruntime computes.
    const rows = wide.meta.testSet.features.slice(0, 4);
    const response = await fetch(`http://127.0.0.1:${httpPort}/v1/models/iris/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: rows }),
    });
    expect(response.status).toBe(200);
    const session = await ort.InferenceSession.create(wide.fp32);
    const raw = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [4, 4]) });
    await session.release();
    const body = (await response.json()) as { outputs: number[][] };
    expect(body.outputs.flat()).toEqual(Array.from(raw.probabilities!.data as Float32Array));
  });
});
