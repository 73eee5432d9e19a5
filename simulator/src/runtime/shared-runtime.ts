/**
 * One inference engine for the whole virtual fleet. Each device's agent still loads the model from its own
 * verified slot (its install, verify, self-test and revert paths are its own); when a bundle with the same
 * sha256 (the digest the agent verified against the signed manifest: model file and self-test set) is
 * already open in onnxruntime under the same contract, this Runtime hands out a reference to that session
 * instead of opening a second one — 10,000 devices on one model cost one session, not 10,000.
 * Per-device faults sit in front: a device without the runtime, or whose installs of a given model are set
 * to fail, gets MODEL_LOAD_FAILED exactly where a broken board would raise it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AgentError, createOnnxRuntime, type LoadedModel, type LoadOptions, type Runtime } from '@edgefleet/agent';

interface Shared {
  readonly model: Promise<LoadedModel>;
  users: number;
}

export interface SharedRuntime {
  /** The Runtime one device sees; `failsToLoad(digest)` decides that device's faults per bundle. */
  forDevice(faults: { onnxRuntime: boolean; failsToLoad: (sha256: string) => boolean }): Runtime;
  /** Distinct sessions open now. */
  readonly sessions: number;
  close(): Promise<void>;
}

/**
 * A session is shared only by loads of the same bytes under the same contract: the onnx runtime checks the
 * contract's names at load, so a load naming other tensors must get (and fail) its own.
 */
function sessionKey(sha256: string, options: LoadOptions): string {
  const names = (specs: LoadOptions['inputs']) => specs.map((t) => t.name).join(',');
  return `${sha256}:${options.modelBytes ?? 'file'}:${names(options.inputs)}:${names(options.outputs)}`;
}

export function createSharedRuntime(): SharedRuntime {
  const engine = createOnnxRuntime();
  const open = new Map<string, Shared>();
  return {
    get sessions() {
      return open.size;
    },
    forDevice(faults) {
      return {
        name: engine.name,
        async load(options) {
          if (!faults.onnxRuntime) {
            throw new AgentError('MODEL_LOAD_FAILED', 'this device has no ONNX runtime (simulated hardware profile)');
          }
          // The agent passes the digest it verified against the signed manifest; hashed here only without one.
          const sha =
            options.sha256 ??
            createHash('sha256')
              .update(await readFile(options.modelPath))
              .digest('hex');
          if (faults.failsToLoad(sha)) {
            throw new AgentError('MODEL_LOAD_FAILED', `simulated load failure of ${options.modelPath}`);
          }
          const key = sessionKey(sha, options);
          let shared = open.get(key);
          if (shared === undefined) {
            shared = { model: engine.load(options), users: 0 };
            open.set(key, shared);
          }
          shared.users++;
          const entry = shared;
          let model: LoadedModel;
          try {
            model = await entry.model;
          } catch (error) {
            // A failed load is not cached: the next device (or retry) loads afresh.
            entry.users--;
            if (open.get(key) === entry) open.delete(key);
            throw error;
          }
          let closed = false;
          return {
            run: (feeds, fetches) =>
              closed ? Promise.reject(new AgentError('NO_MODEL', 'model is closed')) : model.run(feeds, fetches),
            async close() {
              if (closed) return;
              closed = true;
              entry.users--;
              if (entry.users === 0 && open.get(key) === entry) {
                open.delete(key);
                await model.close();
              }
            },
          };
        },
      };
    },
    async close() {
      const all = [...open.values()];
      open.clear();
      await Promise.all(all.map(async (s) => (await s.model).close()));
    },
  };
}
