import {
  decodeMcuModel,
  decodeSelfTestSet,
  decodeTensorMap,
  type ManifestBody,
  runMcuModel,
} from '@edgefleet/protocol';
import { buildIrisMcuModel } from '@edgefleet/test-kit/models';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBlobStore } from '../src/index.js';
import { type Fixture, irisForm, startFixture } from './helpers/control-plane-fixture.js';

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

const mcu = buildIrisMcuModel();

describe('registering an mcu-int8 model (DESIGN.md §6)', () => {
  it('computes the self-test set and the drift reference with the int8 arithmetic the MCU runs', async () => {
    const blobs = createMemoryBlobStore();
    f = await startFixture({ blobStore: blobs });
    const form = irisForm({ sampleInputs: mcu.sampleInputs.slice(0, 3), runtime: 'mcu-int8' }, mcu.bytes);
    form.append('reference', JSON.stringify({ rows: mcu.testSet.features, featureNames: mcu.featureNames }));
    const res = await f.request('POST', '/v1/models/iris-mcu/versions', { body: form });
    expect(res.status).toBe(201);
    const { manifest } = (await res.json()) as { manifest: ManifestBody };
    expect(manifest).toMatchObject({
      runtime: 'mcu-int8',
      quantization: 'int8',
      inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }],
    });
    const model = decodeMcuModel(mcu.bytes);
    const bytes = await blobs.get(manifest.digest);
    const set = decodeSelfTestSet(bytes!.subarray(manifest.modelBytes));
    expect(set.vectors).toHaveLength(3);
    for (const [i, vector] of set.vectors.entries()) {
      const { probabilities } = decodeTensorMap(vector.outputs);
      expect(probabilities?.dims).toEqual([1, 3]);
      expect(Array.from(probabilities!.data as Float32Array)).toEqual(
        Array.from(runMcuModel(model, Float32Array.from(mcu.sampleInputs[i]!), 1)),
      );
    }
    expect(manifest.profile?.sampleCount).toBe(mcu.testSet.features.length);
  });

  it('refuses an image the MCU could not load with MODEL_LOAD_FAILED', async () => {
    f = await startFixture();
    const broken = mcu.bytes.slice(0, mcu.bytes.length - 3);
    const res = await f.request('POST', '/v1/models/iris-mcu/versions', {
      body: irisForm({ sampleInputs: mcu.sampleInputs.slice(0, 1), runtime: 'mcu-int8' }, broken),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('MODEL_LOAD_FAILED');
  });
});
