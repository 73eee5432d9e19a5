/**
 * The in-memory twin of the Runtime interface: "model files" are paths mapped to plain functions, so
 * inference-service and install tests run without onnxruntime. A function sees the tabular view of the
 * contract's first input and returns its first output (the twin's models are all tabular). It honours the
 * same contract as the ONNX runtime (shared suite in test/runtime/runtime-contract.ts): unknown paths fail
 * to load, closed models refuse to run, close is idempotent.
 */
import type { Tensor } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import { float32Tensor, type LoadedModel, type LoadOptions, type Runtime, type TensorData } from './runtime.js';

export type MemoryModelFn = (input: TensorData) => TensorData | Promise<TensorData>;

export function createMemoryRuntime(
  models: Readonly<Record<string, MemoryModelFn>>,
  options: { readonly name?: Runtime['name'] } = {},
): Runtime {
  return {
    name: options.name ?? 'onnx',
    async load(load: LoadOptions): Promise<LoadedModel> {
      const fn = Object.hasOwn(models, load.modelPath) ? models[load.modelPath] : undefined;
      const [input] = load.inputs;
      const [output] = load.outputs;
      if (fn === undefined || input === undefined || output === undefined) {
        throw new AgentError('MODEL_LOAD_FAILED', `no in-memory model at ${load.modelPath}`, {
          details: { modelPath: load.modelPath },
        });
      }
      let state: 'open' | 'closed' = 'open';
      return {
        async run(feeds): Promise<Record<string, Tensor>> {
          if (state === 'closed') throw new AgentError('NO_MODEL', `model ${load.modelPath} is closed`);
          const given = feeds[input.name];
          if (given === undefined) throw new AgentError('INPUT_MISSING', `input ${input.name} is missing`);
          // Copy so a caller mutating its buffer afterwards cannot change what the "model" saw.
          const result = await fn({ data: (given.data as Float32Array).slice(), shape: [...given.dims] });
          return { [output.name]: float32Tensor(result) };
        },
        async close(): Promise<void> {
          state = 'closed';
        },
      };
    },
  };
}
