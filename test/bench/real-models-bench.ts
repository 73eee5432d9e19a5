/**
 * `pnpm --filter @edgefleet/test bench:models`: the agent's named-tensor paths on real models, each against
 * a raw baseline measured in the same run and interleaved with it:
 *  1. `agent.infer` vs raw `InferenceSession.run` with the agent's session options, on the image CNN, the
 *     keyword model and the smallest tabular model (iris): once with the same onnxruntime tensors on both
 *     sides (the agent's own work), once from plain typed arrays (both sides wrap them per call);
 *     goals: p50 ratio ≤ 1.03 on the CNN and keyword model, ≤ 1.10 on iris; the added time per call is
 *     reported in microseconds (goal ≤ 2 µs on the typed path).
 *  2. silero VAD on a state stream (`agent.infer` with `stream`) vs a raw loop that feeds its state back.
 *  3. the local HTTP API in its binary form (CBOR, a ~110 KB image tensor) vs `agent.infer` in-process.
 * Writes bench-results/real-models.json and prints it. Timings here are noisy: read the ratios.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeCbor, encodeTensorMap, type Tensor } from '@edgefleet/protocol';
import { buildIrisModels, jsonSamples, REAL_MODELS } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import { registerModel, rolloutAndWait, startFleet } from '../src/index.js';
import { type Comparison, compare, interleave } from './stats.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2000);
const OPTIONS = { iterations: ITERATIONS, block: 50, warmup: 200 };
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: 1,
};

function toOrt(feeds: Record<string, Tensor>): Record<string, ort.Tensor> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor(t.type, t.data, t.dims)]));
}

function withOverhead(c: Comparison, goalAddedUs?: number) {
  const addedUs = Math.round((c.candidate.p50Ms - c.baseline.p50Ms) * 1000 * 100) / 100;
  return {
    ...c,
    addedUsP50: addedUs,
    ...(goalAddedUs === undefined ? {} : { addedGoalUs: goalAddedUs, addedMet: addedUs <= goalAddedUs }),
  };
}

async function main(): Promise<void> {
  const results: unknown[] = [];
  const fleet = await startFleet({ agents: 1, agent: { httpApi: { port: 0, maxBodyBytes: 4 * 1024 * 1024 } } });
  const sessions: ort.InferenceSession[] = [];
  try {
    const agent = fleet.agents[0]!;
    const iris = buildIrisModels({ seed: 1 });
    const irisRow = iris.meta.testSet.features[0]!;
    const cases = [
      { line: 'cnn', path: REAL_MODELS.imageCnn.path, feeds: REAL_MODELS.imageCnn.feeds(1, 0), goal: 1.03 },
      { line: 'kws', path: REAL_MODELS.keyword.path, feeds: REAL_MODELS.keyword.feeds(1, 0), goal: 1.03 },
      {
        line: 'iris',
        bytes: iris.fp32,
        feeds: { features: { type: 'float32', data: Float32Array.from(irisRow), dims: [1, irisRow.length] } as Tensor },
        goal: 1.1,
      },
    ];
    for (const c of cases) {
      const bytes = c.bytes ?? new Uint8Array(await readFile(c.path as string));
      await registerModel(fleet.api, { line: c.line, model: bytes, samples: jsonSamples([c.feeds]) });
      await rolloutAndWait(fleet, { line: c.line, version: 1, timeoutMs: 60_000 });
      const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
      sessions.push(session);
      // Both sides get the same onnxruntime tensors, built once: the agent passes them through, so the
      // difference is the agent's own work (contract check, pinning, latency, drift, shadow hand-off).
      const rawFeeds = toOrt(c.feeds);
      const s = await interleave(
        () => session.run(rawFeeds),
        () => agent.infer(c.line, rawFeeds as Record<string, Tensor>),
        OPTIONS,
      );
      results.push(
        withOverhead(
          compare(
            `${c.line}: agent.infer vs raw InferenceSession.run, same ort.Tensor feeds (batch 1, ${bytes.length} B model)`,
            { label: 'raw InferenceSession.run', samplesMs: s.a },
            { label: 'agent.infer', samplesMs: s.b },
            c.goal,
          ),
          2,
        ),
      );
      // A caller holding plain typed arrays: raw onnxruntime wraps them in a Tensor per call, so does the agent.
      const typed = await interleave(
        () => session.run(toOrt(c.feeds)),
        () => agent.infer(c.line, c.feeds),
        OPTIONS,
      );
      results.push(
        withOverhead(
          compare(
            `${c.line}: agent.infer vs raw InferenceSession.run, typed arrays wrapped per call`,
            { label: 'raw new ort.Tensor + InferenceSession.run', samplesMs: typed.a },
            { label: 'agent.infer (typed arrays)', samplesMs: typed.b },
            c.goal,
          ),
          2,
        ),
      );
    }

    // Binary local HTTP vs in-process on the image.
    const image = REAL_MODELS.imageCnn.feeds(1, 0);
    const body = encodeCbor({ inputs: encodeTensorMap(image) });
    const http = async () => {
      const res = await fetch(`${agent.httpUrl}/v1/models/cnn/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/cbor' },
        body,
      });
      await res.arrayBuffer();
    };
    const h = await interleave(() => agent.infer('cnn', image), http, {
      ...OPTIONS,
      iterations: Math.min(ITERATIONS, 1000),
    });
    results.push({
      ...withOverhead(
        compare(
          `cnn: local HTTP (CBOR, ${body.byteLength} B request) vs agent.infer in-process`,
          { label: 'agent.infer', samplesMs: h.a },
          { label: 'POST /v1/models/cnn/infer (application/cbor)', samplesMs: h.b },
        ),
      ),
      requestBytes: body.byteLength,
    });

    // Stateful stream vs a raw loop feeding its own state back.
    const vad = REAL_MODELS.vad;
    const vadBytes = new Uint8Array(await readFile(vad.path));
    await registerModel(fleet.api, {
      line: 'vad',
      model: vadBytes,
      samples: jsonSamples([0, 1, 2].map((i) => vad.feeds(1, i))),
      state: vad.state,
    });
    await rolloutAndWait(fleet, { line: 'vad', version: 1, timeoutMs: 60_000 });
    const vadSession = await ort.InferenceSession.create(vadBytes, SESSION_OPTIONS);
    sessions.push(vadSession);
    const frame = toOrt(vad.feeds(1, 0));
    let h0: ort.Tensor = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
    let c0: ort.Tensor = new ort.Tensor('float32', new Float32Array(128), [2, 1, 64]);
    const rawLoop = async () => {
      const out = await vadSession.run({ ...frame, h: h0, c: c0 });
      h0 = out.hn as ort.Tensor;
      c0 = out.cn as ort.Tensor;
    };
    const vadFeeds = vad.feeds(1, 0);
    const v = await interleave(rawLoop, () => agent.infer('vad', vadFeeds, { stream: 'bench' }), OPTIONS);
    results.push(
      withOverhead(
        compare(
          'vad: agent.infer on a state stream vs a raw loop feeding hn/cn back',
          { label: 'raw InferenceSession.run + state', samplesMs: v.a },
          { label: 'agent.infer { stream }', samplesMs: v.b },
          1.03,
        ),
        2,
      ),
    );
  } finally {
    await Promise.all(sessions.map((s) => s.release()));
    await fleet.close();
  }
  const report = {
    benchmark: 'real-models',
    at: new Date().toISOString(),
    node: process.version,
    ortVersion: ort.env.versions.common,
    iterations: ITERATIONS,
    models: Object.values(REAL_MODELS).map((m) => ({
      name: m.name,
      package: `${m.package}@${m.version}`,
      license: m.license,
    })),
    results,
  };
  const dir = join(process.cwd(), '..', 'bench-results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'real-models.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

await main();
