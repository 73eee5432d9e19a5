/**
 * The tiny ONNX graphs (helpers/tiny-onnx.ts) loaded in the real onnxruntime and activated in an inference
 * service: the two-input / two-output graph on line `pair`, the recurrent accumulator on line `sum`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tensor } from '@edgefleet/protocol';
import type { tempDirs } from '@edgefleet/test-kit';
import {
  createInferenceService,
  type InferenceServiceOptions,
  type LatencySample,
} from '../../src/inference/inference-service.js';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { LoadedModel } from '../../src/runtime/runtime.js';
import { ACCUMULATOR, ACCUMULATOR_STATE, buildTinyOnnx, type TinyGraph, TWO_BY_TWO } from '../helpers/tiny-onnx.js';
import { clock, entry } from './fixtures.js';

export async function loadTiny(dir: string, graph: TinyGraph): Promise<LoadedModel> {
  const modelPath = join(dir, 'model.onnx');
  await writeFile(modelPath, buildTinyOnnx(graph));
  return createOnnxRuntime().load({ modelPath, inputs: graph.inputs, outputs: graph.outputs });
}

/** An inference service with `pair` (TWO_BY_TWO) and `sum` (ACCUMULATOR) active at version 1. */
export async function tinyService(temp: ReturnType<typeof tempDirs>, options: Partial<InferenceServiceOptions> = {}) {
  const samples: LatencySample[] = [];
  const service = createInferenceService({ clock, onLatency: (s) => samples.push(s), ...options });
  const activateSum = async (version: number) =>
    service.activate(
      'sum',
      entry(
        version,
        await loadTiny(await temp.make(), ACCUMULATOR),
        { ...ACCUMULATOR, state: ACCUMULATOR_STATE },
        'sum',
      ),
    );
  service.activate('pair', entry(1, await loadTiny(await temp.make(), TWO_BY_TWO), TWO_BY_TWO, 'pair'));
  await activateSum(1);
  return { service, samples, activateSum };
}

export const f32 = (values: number[], dims: number[]): Tensor => ({
  type: 'float32',
  data: Float32Array.from(values),
  dims,
});

export const i64 = (values: bigint[], dims: number[]): Tensor => ({
  type: 'int64',
  data: BigInt64Array.from(values),
  dims,
});

/** Feeds of `pair` for one row. */
export const pairFeeds = (x = [1, 2, 3], offset = 2n) => ({ x: f32(x, [1, 3]), offset: i64([offset], [1, 1]) });

export const values = (tensor: Tensor | undefined): number[] =>
  Array.from(tensor?.data ?? [], (v: number | bigint) => Number(v));
