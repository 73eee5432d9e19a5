/**
 * The in-memory twin of the Runtime interface: "model files" are paths mapped to plain functions, so
 * inference-service and install tests run without onnxruntime. It honours the same contract as the ONNX
 * runtime (shared suite in test/runtime/runtime-contract.ts): unknown paths fail to load, closed models
 * refuse to run, close is idempotent.
 */
import { AgentError } from '../errors.js';
import type { LoadedModel, LoadOptions, Runtime, TensorData } from './runtime.js';

export type MemoryModelFn = (input: TensorData) => TensorData | Promise<TensorData>;

export function createMemoryRuntime(
  models: Readonly<Record<string, MemoryModelFn>>,
  options: { readonly name?: Runtime['name'] } = {},
): Runtime {
  return {
    name: options.name ?? 'onnx',
    async load(load: LoadOptions): Promise<LoadedModel> {
      const fn = Object.hasOwn(models, load.modelPath) ? models[load.modelPath] : undefined;
      if (fn === undefined) {
        throw new AgentError('MODEL_LOAD_FAILED', `no in-memory model at ${load.modelPath}`, {
          details: { modelPath: load.modelPath },
        });
      }
      let state: 'open' | 'closed' = 'open';
      return {
        async run(input: TensorData): Promise<TensorData> {
          if (state === 'closed') throw new AgentError('NO_MODEL', `model ${load.modelPath} is closed`);
          // Copy so a caller mutating its buffer afterwards cannot change what the "model" saw.
          return fn({ data: input.data.slice(), shape: [...input.shape] });
        },
        async close(): Promise<void> {
          state = 'closed';
        },
      };
    },
  };
}
