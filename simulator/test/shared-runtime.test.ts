import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadOptions } from '@edgefleet/agent';
import { encodeTensorMap, packModelBundle, sha256Hex, type Tensor, type TensorSpec } from '@edgefleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIrisModel } from '../src/models/iris-classifier.js';
import { createSharedRuntime, type SharedRuntime } from '../src/runtime/shared-runtime.js';

const INPUTS: TensorSpec[] = [{ name: 'features', dtype: 'float32', shape: ['N', 4] }];
const OUTPUTS: TensorSpec[] = [{ name: 'probabilities', dtype: 'float32', shape: ['N', 3] }];
const ROW: Tensor = { type: 'float32', data: Float32Array.from([5.1, 3.5, 1.4, 0.2]), dims: [1, 4] };
const healthy = { onnxRuntime: true, failsToLoad: () => false };

let dir: string | undefined;
let runtime: SharedRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  runtime = undefined;
});

/** An installed bundle of the seed's iris model (its self-test set is not read by the runtime). */
async function installed(seed: number): Promise<LoadOptions & { sha256: string }> {
  dir ??= await mkdtemp(join(tmpdir(), 'edgefleet-shared-runtime-'));
  const model = buildIrisModel({ seed }).onnx;
  const bundle = packModelBundle(model, {
    _type: 'self-test-set',
    vectors: [{ inputs: encodeTensorMap({ features: ROW }), outputs: encodeTensorMap({ probabilities: ROW }) }],
  });
  const modelPath = join(dir, `bundle-${seed}.bin`);
  await writeFile(modelPath, bundle.bytes);
  return {
    modelPath,
    modelBytes: bundle.modelBytes,
    inputs: INPUTS,
    outputs: OUTPUTS,
    sha256: sha256Hex(bundle.bytes),
  };
}

const answer = async (model: { run: (feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>> }) =>
  Array.from((await model.run({ features: ROW })).probabilities?.data as Float32Array);

describe('the shared runtime of a virtual fleet', () => {
  it('opens one session for every device loading the same bundle, and closes it with its last user', async () => {
    runtime = createSharedRuntime();
    const bundle = await installed(1);
    const models = await Promise.all([1, 2, 3].map(() => runtime!.forDevice(healthy).load(bundle)));
    expect(runtime.sessions).toBe(1);
    const answers = await Promise.all(models.map(answer));
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]).toHaveLength(3);
    await models[0]?.close();
    await models[0]?.close();
    await expect(models[0]?.run({ features: ROW })).rejects.toMatchObject({ code: 'NO_MODEL' });
    expect(await answer(models[1]!)).toEqual(answers[0]);
    await models[1]?.close();
    await models[2]?.close();
    expect(runtime.sessions).toBe(0);
  });

  it('opens a session per distinct bundle, and per contract', async () => {
    runtime = createSharedRuntime();
    const first = await installed(1);
    const second = await installed(2);
    const device = runtime.forDevice(healthy);
    const a = await device.load(first);
    const b = await device.load(second);
    expect(runtime.sessions).toBe(2);
    expect(await answer(a)).not.toEqual(await answer(b));
    // Another contract for the same bytes is loaded (and checked) on its own.
    const renamed = device.load({ ...first, inputs: [{ ...INPUTS[0]!, name: 'pixels' }] });
    await expect(renamed).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(runtime.sessions).toBe(2);
  });

  it('fails, with MODEL_LOAD_FAILED, a device without the runtime and a device whose load of that bundle is faulty', async () => {
    runtime = createSharedRuntime();
    const bundle = await installed(1);
    await expect(runtime.forDevice({ ...healthy, onnxRuntime: false }).load(bundle)).rejects.toMatchObject({
      code: 'MODEL_LOAD_FAILED',
    });
    const faulty = runtime.forDevice({ onnxRuntime: true, failsToLoad: (sha) => sha === bundle.sha256 });
    await expect(faulty.load(bundle)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(runtime.sessions).toBe(0);
    const other = await faulty.load(await installed(2));
    expect(runtime.sessions).toBe(1);
    await other.close();
  });

  it('does not keep a failed load: the next load of the same bundle tries again', async () => {
    runtime = createSharedRuntime();
    const bundle = await installed(1);
    const bytes = await readFile(bundle.modelPath);
    // The slot file is not there yet (a device that lost it): that load fails, and nothing is cached.
    await rm(bundle.modelPath);
    await expect(runtime.forDevice(healthy).load(bundle)).rejects.toMatchObject({ code: 'MODEL_LOAD_FAILED' });
    expect(runtime.sessions).toBe(0);
    await writeFile(bundle.modelPath, bytes);
    const model = await runtime.forDevice(healthy).load(bundle);
    expect(await answer(model)).toHaveLength(3);
    await model.close();
  });
});
