/**
 * Runtimes for shadow tests, built on the `runtime` seam of createAgent: the real ONNX runtime, with the
 * bundles whose model file is one given model (recognised by the sha256 of the slot file's first
 * `modelBytes` bytes) made to misbehave the way a hardware delegate can — throw, stall, or compute slightly
 * different numbers. Single-row runs (the self-test vectors) stay exact unless the perturbation is the point.
 */
import { readFile } from 'node:fs/promises';
import { sha256Hex, type Tensor, type TensorMap } from '@edgefleet/protocol';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { LoadedModel, Runtime } from '../../src/runtime/runtime.js';

type Outputs = Record<string, Tensor>;
type Behaviour = (feeds: TensorMap, run: () => Promise<Outputs>) => Promise<Outputs>;

/** Rows of a call: the first dimension of its first input. */
const rowsOf = (feeds: TensorMap): number => Object.values(feeds)[0]?.dims[0] ?? 0;

/** Wraps the ONNX runtime: bundles whose model file is `model` run through `behaviour`. */
export function wrapOnnx(model: Uint8Array, behaviour: Behaviour): Runtime {
  const onnx = createOnnxRuntime();
  const wanted = sha256Hex(model);
  const holdsModel = async (path: string, modelBytes: number | undefined) =>
    modelBytes === model.byteLength && sha256Hex((await readFile(path)).subarray(0, modelBytes)) === wanted;
  return {
    name: 'onnx',
    async load(options): Promise<LoadedModel> {
      const loaded = await onnx.load(options);
      if (!(await holdsModel(options.modelPath, options.modelBytes))) return loaded;
      return {
        run: (feeds, fetches) => behaviour(feeds, () => loaded.run(feeds, fetches)),
        close: () => loaded.close(),
      };
    },
  };
}

/** Batch runs (more than one row) throw, as a delegate that cannot handle the batch might. */
export const throwsOnBatches: Behaviour = async (feeds, run) => {
  if (rowsOf(feeds) > 1) throw new Error('delegate fault: batch not supported');
  return run();
};

/** Batch runs wait until `release()`; the test controls when a stalled challenger finishes. */
export function stallsOnBatches(): { behaviour: Behaviour; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    behaviour: async (feeds, run) => {
      if (rowsOf(feeds) > 1) await gate;
      return run();
    },
    release: () => release(),
  };
}

/** Every float output moves by +0.01: an NPU whose numerics differ from the CPU's (beyond a 1e-4 self-test atol). */
export const perturbsOutputs: Behaviour = async (_feeds, run) => {
  const outputs = await run();
  const moved: Outputs = {};
  for (const [name, tensor] of Object.entries(outputs)) {
    moved[name] =
      tensor.type === 'float32'
        ? { type: 'float32', data: (tensor.data as Float32Array).map((v) => v + 0.01), dims: tensor.dims }
        : tensor;
  }
  return moved;
};
