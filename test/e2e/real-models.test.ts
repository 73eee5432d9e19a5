/**
 * Real trained models end to end over real TCP MQTT: an image CNN, a keyword model with a rank-3 input and
 * silero VAD (four inputs, recurrent state, three outputs) are registered through the HTTP API, rolled out
 * to three agents and served in-process and over the local HTTP API (JSON and CBOR). Every answer is held
 * bit for bit to a raw onnxruntime `InferenceSession.run` with the agent's session options; the stateful
 * model's streams to a raw loop that feeds its own state back. Mismatched inputs get their 400 codes and the
 * agent stays on its model.
 */
import { readFile } from 'node:fs/promises';
import type { Agent } from '@edgefleet/agent';
import { decodeCbor, encodeCbor, encodeTensorMap, type Tensor } from '@edgefleet/protocol';
import { jsonSamples, REAL_MODELS, type RealModel } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Fleet, registerModel, rolloutAndWait, startFleet } from '../src/index.js';

const SEED = 7;
const INPUTS = 100;
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
};

function bytesOf(tensor: { data: ArrayBufferView }): Buffer {
  return Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
}

function toOrt(feeds: Record<string, Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
}

function expectSame(actual: Readonly<Record<string, Tensor>>, expected: ort.InferenceSession.ReturnType, what: string) {
  expect(Object.keys(actual).sort(), what).toEqual(Object.keys(expected).sort());
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name] as Tensor;
    expect(got.dims, `${what} ${name} dims`).toEqual(want.dims);
    expect(bytesOf(got).equals(bytesOf(want as unknown as Tensor)), `${what} ${name} bytes`).toBe(true);
  }
}

const cborReply = z.object({
  version: z.int(),
  outputs: z.record(
    z.string(),
    z.object({ dtype: z.string(), dims: z.array(z.int()), data: z.instanceof(Uint8Array) }),
  ),
});

async function postCbor(agent: Agent, line: string, body: unknown) {
  const res = await fetch(`${agent.httpUrl}/v1/models/${line}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/cbor' },
    body: encodeCbor(body),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/cbor');
  const reply = decodeCbor(new Uint8Array(await res.arrayBuffer()), cborReply, { maxMessageBytes: 1 << 22 });
  return Object.fromEntries(
    Object.entries(reply.outputs).map(([k, t]) => [
      k,
      { type: t.dtype, dims: t.dims, data: t.data } as unknown as Tensor,
    ]),
  );
}

async function postJson(agent: Agent, line: string, body: unknown) {
  return fetch(`${agent.httpUrl}/v1/models/${line}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function register(fleet: Fleet, line: string, model: RealModel, samples: Record<string, Tensor>[]) {
  await registerModel(fleet.api, {
    line,
    model: new Uint8Array(await readFile(model.path)),
    samples: jsonSamples(samples),
    ...(model.state === undefined ? {} : { state: model.state }),
  });
  await rolloutAndWait(fleet, { line, version: 1, timeoutMs: 60_000 });
}

describe('real models end to end', () => {
  let fleet: Fleet;
  const raw: Record<string, ort.InferenceSession> = {};

  beforeAll(async () => {
    fleet = await startFleet({ agents: 3, agent: { httpApi: { port: 0, maxBodyBytes: 4 * 1024 * 1024 } } });
    const { imageCnn, keyword, vad } = REAL_MODELS;
    await register(
      fleet,
      'cnn',
      imageCnn,
      [0, 1, 2].map((i) => imageCnn.feeds(99, i)),
    );
    await register(
      fleet,
      'kws',
      keyword,
      [0, 1, 2].map((i) => keyword.feeds(99, i)),
    );
    await register(
      fleet,
      'vad',
      vad,
      [0, 1, 2, 3, 4, 5].map((i) => vad.feeds(99, i)),
    );
    for (const [line, model] of [
      ['cnn', imageCnn],
      ['kws', keyword],
      ['vad', vad],
    ] as const) {
      raw[line] = await ort.InferenceSession.create(model.path, SESSION_OPTIONS);
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(raw).map((s) => s.release()));
    await fleet?.close();
  });

  for (const [line, key] of [
    ['cnn', 'imageCnn'],
    ['kws', 'keyword'],
  ] as const) {
    it(`serves ${line} bit-identically to raw onnxruntime, in-process and over HTTP (CBOR and JSON)`, async () => {
      const model = REAL_MODELS[key];
      for (let i = 0; i < INPUTS; i++) {
        const feeds = model.feeds(SEED, i);
        const expected = await (raw[line] as ort.InferenceSession).run(toOrt(feeds));
        for (const agent of fleet.agents) {
          const result = await agent.infer(line, feeds);
          expect(result.version).toBe(1);
          expectSame(result.outputs, expected, `${agent.deviceId} input ${i}`);
        }
        expectSame(
          await postCbor(fleet.agents[i % 3] as Agent, line, { inputs: encodeTensorMap(feeds) }),
          expected,
          `CBOR ${i}`,
        );
        if (i % 10 === 0) {
          const json = Object.fromEntries(
            Object.entries(feeds).map(([k, t]) => [k, { dims: t.dims, data: Array.from(t.data as Float32Array) }]),
          );
          const res = await postJson(fleet.agents[(i + 1) % 3] as Agent, line, { inputs: json });
          expect(res.status).toBe(200);
          const body = (await res.json()) as { outputs: Record<string, { dims: number[]; data: number[] }> };
          for (const [name, want] of Object.entries(expected)) {
            expect(body.outputs[name]?.dims).toEqual(want.dims);
            expect(Float32Array.from(body.outputs[name]?.data ?? [])).toEqual(want.data);
          }
        }
      }
    }, 120_000);
  }

  it('keeps silero VAD state per stream exactly as a raw loop that feeds its own state back', async () => {
    const vad = REAL_MODELS.vad;
    const session = raw.vad as ort.InferenceSession;
    const [a0, a1] = fleet.agents as [Agent, Agent];
    for (const seed of [SEED, SEED + 1]) {
      let h: ort.Tensor = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
      let c: ort.Tensor = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
      const streamA = `mic-${seed}`;
      for (let i = 0; i < INPUTS; i++) {
        const feeds = vad.feeds(seed, i);
        const expected = await session.run({ ...toOrt(feeds), h, c });
        // Another stream's call between two calls of this one must not leak into it.
        await a0.infer('vad', vad.feeds(seed + 100, i), { stream: `noise-${seed}` });
        expectSame((await a0.infer('vad', feeds, { stream: streamA })).outputs, expected, `in-process frame ${i}`);
        expectSame(
          await postCbor(a1, 'vad', { inputs: encodeTensorMap(feeds), stream: streamA }),
          expected,
          `HTTP frame ${i}`,
        );
        h = expected.hn as ort.Tensor;
        c = expected.cn as ort.Tensor;
      }
    }
    // A reset stream starts again from the initial state.
    expect(a0.resetStream('vad', `mic-${SEED}`)).toBe(true);
    const first = await session.run({
      ...toOrt(vad.feeds(SEED, 0)),
      h: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
      c: new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]),
    });
    expectSame((await a0.infer('vad', vad.feeds(SEED, 0), { stream: `mic-${SEED}` })).outputs, first, 'after reset');
  }, 120_000);

  it('answers every input mismatch with its 400 code and stays on its model', async () => {
    const agent = fleet.agents[0] as Agent;
    const image = { dims: [1, 3, 48, 192], data: Array.from(REAL_MODELS.imageCnn.feeds(1, 0).x.data as Float32Array) };
    const cases: Array<[string, string, unknown]> = [
      ['cnn', 'INPUT_MISSING', { inputs: {} }],
      ['cnn', 'INPUT_UNEXPECTED', { inputs: { x: image, y: image } }],
      ['cnn', 'INPUT_DTYPE', { inputs: { x: { ...image, dtype: 'int32', data: image.data.map(Math.round) } } }],
      ['cnn', 'INPUT_RANK', { inputs: { x: { dims: [3, 48, 192], data: image.data } } }],
      ['cnn', 'INPUT_DIM', { inputs: { x: { dims: [1, 4, 48, 144], data: image.data } } }],
      ['kws', 'INPUT_DIM', { inputs: { 'onnx::Flatten_0': { dims: [2, 25, 96], data: new Array(4800).fill(0) } } }],
      ['cnn', 'INPUT_INVALID', { inputs: { x: { dims: [1, 3, 48, 192], data: [1, 2] } } }],
      ['cnn', 'OUTPUT_UNKNOWN', { inputs: { x: image }, outputs: ['nope'] }],
      [
        'vad',
        'INPUT_INVALID',
        { inputs: { input: { dims: [1, 512], data: new Array(512).fill(0) }, sr: { dims: [], data: [16000] } } },
      ],
    ];
    for (const [line, code, body] of cases) {
      const res = await postJson(agent, line, body);
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code], `${line} ${code}`).toEqual([
        400,
        code,
      ]);
    }
    const big = await fetch(`${agent.httpUrl}/v1/models/cnn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/cbor' },
      body: new Uint8Array(5 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(
      agent
        .installed()
        .map((m) => `${m.line}@${m.version}`)
        .sort(),
    ).toEqual(['cnn@1', 'kws@1', 'vad@1']);
    const ok = await agent.infer('cnn', REAL_MODELS.imageCnn.feeds(1, 0));
    expect(ok.outputs['softmax_0.tmp_0']?.dims).toEqual([1, 2]);
  });
});
