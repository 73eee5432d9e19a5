/**
 * The demo's non-tabular step: a real trained image CNN (PaddleOCR's text-direction classifier, NCHW
 * [N, 3, 48, 192] → [N, 2]) is registered through the HTTP API with sample images, rolled out to every agent,
 * and served over each agent's local HTTP API in its binary form (CBOR, one ~110 KB tensor per request).
 */
import { readFile } from 'node:fs/promises';
import { decodeCbor, encodeCbor, encodeTensorMap } from '@edgefleet/protocol';
import { jsonSamples, REAL_MODELS } from '@edgefleet/test-kit/models';
import { z } from 'zod';
import { type Fleet, registerModel, rolloutAndWait } from '../src/index.js';

const IMAGES = 20;
const replySchema = z.object({
  version: z.int(),
  latencyMs: z.number(),
  outputs: z.record(
    z.string(),
    z.object({ dtype: z.string(), dims: z.array(z.int()), data: z.instanceof(Uint8Array) }),
  ),
});

export interface ImageStepResult {
  readonly version: number;
  readonly served: number;
  readonly rotated: number;
  readonly meanLatencyMs: number;
  readonly contract: string;
}

export async function imageModelStep(fleet: Fleet): Promise<ImageStepResult> {
  const cnn = REAL_MODELS.imageCnn;
  const registered = await registerModel(fleet.api, {
    line: 'text-direction',
    model: new Uint8Array(await readFile(cnn.path)),
    samples: jsonSamples([0, 1, 2].map((i) => cnn.feeds(1, i))),
  });
  await rolloutAndWait(fleet, { line: 'text-direction', version: registered.version, timeoutMs: 60_000 });
  const manifest = (
    await fleet.api.get<{ manifest: { inputs: { name: string; shape: unknown[] }[] } }>(
      `/v1/models/text-direction/versions/${registered.version}`,
    )
  ).body.manifest;
  let served = 0;
  let rotated = 0;
  let latency = 0;
  for (const agent of fleet.agents) {
    for (let i = 0; i < IMAGES; i++) {
      const res = await fetch(`${agent.httpUrl}/v1/models/text-direction/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/cbor' },
        body: encodeCbor({ inputs: encodeTensorMap(cnn.feeds(2, i)) }),
      });
      if (res.status !== 200) throw new Error(`infer failed: HTTP ${res.status} ${await res.text()}`);
      const reply = decodeCbor(new Uint8Array(await res.arrayBuffer()), replySchema, { maxMessageBytes: 1 << 20 });
      const probs = reply.outputs['softmax_0.tmp_0']?.data;
      if (probs === undefined) throw new Error('the reply lacks softmax_0.tmp_0');
      const p = new Float32Array(probs.slice().buffer);
      if ((p[1] ?? 0) > (p[0] ?? 0)) rotated++;
      latency += reply.latencyMs;
      served++;
    }
  }
  const input = manifest.inputs[0];
  return {
    version: registered.version,
    served,
    rotated,
    meanLatencyMs: latency / served,
    contract: `${input?.name} [${input?.shape.join(', ')}]`,
  };
}
