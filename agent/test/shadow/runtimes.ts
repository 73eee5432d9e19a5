/**
 * Runtimes for shadow tests, built on the `runtime` seam of createAgent: the real ONNX runtime, with the
 * models of one bundle (recognised by its slot directory, `v<version>-<digest12>`) made to misbehave the way
 * a hardware delegate can — throw, stall, or compute slightly different numbers. Single-row runs (the
 * self-test vectors) stay exact unless the perturbation is the point.
 */
import { sha256Hex } from '@edgefleet/protocol';
import { createOnnxRuntime } from '../../src/runtime/onnx-runtime.js';
import type { LoadedModel, Runtime, TensorData } from '../../src/runtime/runtime.js';

type Behaviour = (input: TensorData, run: () => Promise<TensorData>) => Promise<TensorData>;

/** Wraps the ONNX runtime: models loaded from `bundle`'s slot run through `behaviour`. */
export function wrapOnnx(bundle: Uint8Array, behaviour: Behaviour): Runtime {
  const onnx = createOnnxRuntime();
  const marker = `-${sha256Hex(bundle).slice(0, 12)}`;
  return {
    name: 'onnx',
    async load(options): Promise<LoadedModel> {
      const model = await onnx.load(options);
      if (!options.modelPath.includes(marker)) return model;
      return { run: (input) => behaviour(input, () => model.run(input)), close: () => model.close() };
    },
  };
}

/** Batch runs (more than one row) throw, as a delegate that cannot handle the batch might. */
export const throwsOnBatches: Behaviour = async (input, run) => {
  if ((input.shape[0] as number) > 1) throw new Error('delegate fault: batch not supported');
  return run();
};

/** Batch runs wait until `release()`; the test controls when a stalled challenger finishes. */
export function stallsOnBatches(): { behaviour: Behaviour; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    behaviour: async (input, run) => {
      if ((input.shape[0] as number) > 1) await gate;
      return run();
    },
    release: () => release(),
  };
}

/** Every output moves by +0.01: an NPU whose numerics differ from the CPU's (beyond a 1e-4 self-test atol). */
export const perturbsOutputs: Behaviour = async (_input, run) => {
  const output = await run();
  return { data: output.data.map((v) => v + 0.01), shape: output.shape };
};
