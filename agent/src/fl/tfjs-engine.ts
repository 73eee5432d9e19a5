/**
 * Owns the process-wide TensorFlow.js engine for on-device training (DESIGN.md §4 FL client). tfjs keeps ONE
 * global engine with ONE active backend, so every job that touches tensors runs here, one at a time, after
 * switching to the backend it asked for: two trainers on different backends (the bench compares wasm with cpu)
 * can then never interleave their tensors across an `await`. tfjs is imported lazily so that importing the
 * agent does not pay ~0.5 s of tfjs start-up unless the device actually trains. The wasm backend's binaries
 * ship inside its npm package and are loaded from its dist folder — nothing is fetched at run time.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { AgentError } from '../errors.js';

export type TrainingBackend = 'wasm' | 'cpu';
export type TfModule = typeof Tf;

let loading: Promise<TfModule> | undefined;
let queue: Promise<unknown> = Promise.resolve();

async function loadTfjs(): Promise<TfModule> {
  const tf = await import('@tensorflow/tfjs');
  // tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js…" through
  // backend_util.warn on first use; PROD mode silences it (and tfjs' debug-only checks, which we do not use).
  tf.enableProdMode();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // The package's Node entry sits in dist/ beside tfjs-backend-wasm{,-simd,-threaded-simd}.wasm.
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(`${dirname(entry)}/`);
  return tf;
}

/** Loads tfjs once per process; a failed load is retried on the next call rather than cached. */
export function loadTf(): Promise<TfModule> {
  loading ??= loadTfjs().catch((cause: unknown) => {
    loading = undefined;
    throw new AgentError('RUNTIME_UNAVAILABLE', `TensorFlow.js could not be loaded: ${String(cause)}`, { cause });
  });
  return loading;
}

/** Initialises `backend` (the first time) and makes it the active one; RUNTIME_UNAVAILABLE when it cannot run. */
export async function activateBackend(tf: TfModule, backend: TrainingBackend): Promise<void> {
  let cause: unknown;
  const before = processErrorListeners();
  try {
    // false: the backend's initialisation failed (e.g. WebAssembly missing); throws: it is not registered.
    if (await tf.setBackend(backend)) return;
  } catch (error) {
    cause = error;
  } finally {
    restoreProcessErrorListeners(before);
  }
  throw new AgentError('RUNTIME_UNAVAILABLE', `the tfjs '${backend}' backend is not available on this device`, {
    cause,
    details: { backend },
  });
}

interface ErrorListeners {
  readonly uncaught: ReadonlySet<unknown>;
  readonly rejection: ReadonlySet<unknown>;
}

function processErrorListeners(): ErrorListeners {
  return {
    uncaught: new Set(process.listeners('uncaughtException')),
    rejection: new Set(process.listeners('unhandledRejection')),
  };
}

/**
 * The wasm backend's Emscripten runtime installs process-wide `uncaughtException` / `unhandledRejection`
 * listeners that rethrow, when it initialises. The agent, not a math library, decides how the process handles
 * stray errors, so listeners added during initialisation are removed again.
 */
function restoreProcessErrorListeners(before: ErrorListeners): void {
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.uncaught.has(listener)) process.removeListener('uncaughtException', listener);
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!before.rejection.has(listener)) process.removeListener('unhandledRejection', listener);
  }
}

/**
 * Runs `job` alone on the engine with `backend` active. Jobs queue in call order; a failing job rejects its
 * own promise only and the queue moves on.
 */
export function runExclusive<T>(backend: TrainingBackend, job: (tf: TfModule) => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    const tf = await loadTf();
    await activateBackend(tf, backend);
    return job(tf);
  });
  queue = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
