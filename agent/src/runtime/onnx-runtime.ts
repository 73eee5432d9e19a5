/**
 * The onnxruntime-node implementation of the Runtime interface. One CPU session per loaded model with full
 * graph optimisation; `intraOpNumThreads` defaults to 1 because an edge device shares its few cores with
 * the agent, the MQTT session and the application. The run path is kept as close to a raw
 * `InferenceSession.run` as possible (it is benchmarked against it): one Tensor wrapper per input and one
 * feeds object per call; the outputs are onnxruntime's own tensors, handed back without a copy.
 */
import type { Tensor } from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { AgentError } from '../errors.js';
import { readModelFile } from './model-file.js';
import type { LoadedModel, LoadOptions, Runtime } from './runtime.js';

const DEFAULTS = Object.freeze({
  intraOpNumThreads: 1,
});

export interface OnnxRuntimeOptions {
  readonly intraOpNumThreads?: number;
}

export function createOnnxRuntime(options: OnnxRuntimeOptions = {}): Runtime {
  // onnxruntime-node 1.30 collects telemetry unless told not to (a device id under ~/.cache, a
  // /tmp/mat-debug-<pid>.log per process, uploads when online); it reads this variable when its first
  // session is created. A device agent never does that unasked; setting the variable to 0 opts back in.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const intraOpNumThreads = options.intraOpNumThreads ?? DEFAULTS.intraOpNumThreads;
  return {
    name: 'onnx',
    load: (load) => loadSession(load, intraOpNumThreads),
  };
}

async function loadSession(load: LoadOptions, intraOpNumThreads: number): Promise<LoadedModel> {
  let session: ort.InferenceSession;
  try {
    // A plain file is opened by path (onnxruntime reads it itself); a bundle's head is read here.
    const source = load.modelBytes === undefined ? load.modelPath : await readModelFile(load);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads,
    };
    session =
      typeof source === 'string'
        ? await ort.InferenceSession.create(source, sessionOptions)
        : await ort.InferenceSession.create(source, sessionOptions);
  } catch (cause) {
    throw new AgentError('MODEL_LOAD_FAILED', `onnxruntime could not load ${load.modelPath}`, {
      cause,
      details: { modelPath: load.modelPath },
    });
  }
  const missing = [
    ...load.inputs.filter((t) => !session.inputNames.includes(t.name)),
    ...load.outputs.filter((t) => !session.outputNames.includes(t.name)),
  ];
  if (missing.length > 0) {
    await session.release();
    throw new AgentError('MODEL_LOAD_FAILED', `model ${load.modelPath} lacks the named inputs or outputs`, {
      details: {
        modelPath: load.modelPath,
        missing: missing.map((t) => t.name),
        found: { inputs: session.inputNames, outputs: session.outputNames },
      },
    });
  }
  const allOutputs: readonly string[] = load.outputs.map((t) => t.name);
  let state: 'open' | 'closed' = 'open';

  return {
    // Not an async function: the returned promise is onnxruntime's own, one promise layer less per call.
    run(feeds, fetches = allOutputs) {
      if (state === 'closed') return Promise.reject(new AgentError('NO_MODEL', `model ${load.modelPath} is closed`));
      const ortFeeds: Record<string, ort.Tensor> = {};
      try {
        for (const name in feeds) {
          const t = feeds[name] as (typeof feeds)[string];
          ortFeeds[name] = t instanceof ort.Tensor ? t : new ort.Tensor(t.type, t.data, t.dims);
        }
        // onnxruntime's Tensor has the protocol Tensor's shape (type, data, dims): returned as it is.
        return session.run(ortFeeds, fetches) as unknown as Promise<Record<string, Tensor>>;
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async close(): Promise<void> {
      if (state === 'closed') return;
      state = 'closed';
      await session.release();
    },
  };
}
