/**
 * The onnxruntime-node implementation of the Runtime interface. One CPU session per loaded model with full
 * graph optimisation; `intraOpNumThreads` defaults to 1 because an edge device shares its few cores with
 * the agent, the MQTT session and the application. The run path is kept as close to a raw
 * `InferenceSession.run` as possible (it is benchmarked against it): one Tensor wrapper and one feeds object
 * per call, the fetch list built once at load.
 */
import * as ort from 'onnxruntime-node';
import { AgentError } from '../errors.js';
import type { LoadedModel, LoadOptions, Runtime, TensorData } from './runtime.js';

const DEFAULTS = Object.freeze({
  intraOpNumThreads: 1,
});

export interface OnnxRuntimeOptions {
  readonly intraOpNumThreads?: number;
}

export function createOnnxRuntime(options: OnnxRuntimeOptions = {}): Runtime {
  const intraOpNumThreads = options.intraOpNumThreads ?? DEFAULTS.intraOpNumThreads;
  return {
    name: 'onnx',
    load: (load) => loadSession(load, intraOpNumThreads),
  };
}

async function loadSession(load: LoadOptions, intraOpNumThreads: number): Promise<LoadedModel> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(load.modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads,
    });
  } catch (cause) {
    throw new AgentError('MODEL_LOAD_FAILED', `onnxruntime could not load ${load.modelPath}`, {
      cause,
      details: { modelPath: load.modelPath },
    });
  }
  if (!session.inputNames.includes(load.inputName) || !session.outputNames.includes(load.outputName)) {
    await session.release();
    throw new AgentError('MODEL_LOAD_FAILED', `model ${load.modelPath} lacks the named input or output`, {
      details: {
        modelPath: load.modelPath,
        wanted: { input: load.inputName, output: load.outputName },
        found: { inputs: session.inputNames, outputs: session.outputNames },
      },
    });
  }
  const { inputName, outputName } = load;
  // Asking only for the output we return lets ORT skip materialising the others.
  const fetches: readonly string[] = [outputName];
  let state: 'open' | 'closed' = 'open';

  return {
    async run(input: TensorData): Promise<TensorData> {
      if (state === 'closed') throw new AgentError('NO_MODEL', `model ${load.modelPath} is closed`);
      const feeds = { [inputName]: new ort.Tensor('float32', input.data, input.shape) };
      const results = await session.run(feeds, fetches);
      const output = results[outputName];
      if (output === undefined || output.type !== 'float32') {
        throw new AgentError('INTERNAL', `model ${load.modelPath} did not return float32 ${outputName}`);
      }
      return { data: output.data as Float32Array, shape: output.dims };
    },
    async close(): Promise<void> {
      if (state === 'closed') return;
      state = 'closed';
      await session.release();
    },
  };
}
