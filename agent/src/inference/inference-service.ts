/**
 * The in-process inference API (DESIGN.md §4 Inference): which model answers for each line, input
 * validation against the manifest's input schema, latency measurement, and hot swaps. A swap never breaks
 * a running prediction: each active entry counts its in-flight runs and `retire()` closes its model only
 * after they have all finished.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, ManifestBody } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import type { LoadedModel, TensorData } from '../runtime/runtime.js';
import { packRows, splitRows, validateTensor } from './tensor-io.js';

const DEFAULTS = Object.freeze({
  maxRows: 1024,
});

export interface ModelEntry {
  readonly version: number;
  readonly digest: string;
  readonly manifest: ManifestBody;
  readonly model: LoadedModel;
}

export interface ActiveModel extends ModelEntry {
  readonly line: string;
  /** Clock time at which this entry started answering for its line. */
  readonly activatedAt: number;
  /** Predictions currently running on this entry. */
  inFlight(): number;
  /** Waits for this entry's in-flight predictions, then closes its model. Idempotent. */
  retire(): Promise<void>;
}

export interface LatencySample {
  readonly line: string;
  readonly version: number;
  readonly latencyMs: number;
  readonly ok: boolean;
}

export interface Prediction {
  readonly line: string;
  readonly version: number;
  readonly outputs: number[][];
  readonly latencyMs: number;
}

export interface TensorPrediction {
  readonly line: string;
  readonly version: number;
  /** The model's output tensor, [N, C]. */
  readonly output: TensorData;
  readonly latencyMs: number;
}

/** A successful run, handed to `onResult` (the drift monitor) with the tensors the model saw and produced. */
export interface InferenceResult {
  readonly line: string;
  readonly version: number;
  readonly manifest: ManifestBody;
  readonly input: TensorData;
  readonly output: TensorData;
}

/** A successful run as the caller got it, with its measured latency: what a shadow run is compared with. */
export interface ServedResult extends InferenceResult {
  readonly latencyMs: number;
}

export interface InferenceService {
  /** Makes `entry` answer for `line`; returns the entry it replaced so the caller can `retire()` it. */
  activate(line: string, entry: ModelEntry): ActiveModel | undefined;
  /** Rows in, rows out: the JSON-shaped API (local HTTP API, scripts). */
  predict(line: string, rows: readonly (readonly number[])[]): Promise<Prediction>;
  /**
   * Typed arrays in and out, no conversions: for in-process callers that already hold a Float32Array
   * (sensor pipelines). Same validation, pinning and telemetry as `predict`.
   */
  predictTensor(line: string, input: TensorData): Promise<TensorPrediction>;
  active(): Array<{ line: string; version: number; digest: string; activatedAt: number }>;
  /** Refuses new predictions, waits for running ones, closes every active model. */
  close(): Promise<void>;
}

export interface InferenceServiceOptions {
  readonly clock: Clock;
  readonly onLatency?: (sample: LatencySample) => void;
  /**
   * Called after each successful run of a model whose manifest carries a drift profile (never for the
   * others, so models without a profile pay nothing). Must not throw; it runs on the prediction's path.
   */
  readonly onResult?: (result: InferenceResult) => void;
  /**
   * Called after every successful run, just before the result is handed back (the shadow runner). Must not
   * throw and must not do the work inline: it schedules it, so the caller's answer is never delayed.
   */
  readonly onServed?: (result: ServedResult) => void;
  readonly maxRows?: number;
}

interface Slot {
  readonly entry: ActiveModel;
  /** Input feature count from manifest inputs[0] = [N, F]; undefined when F is dynamic. */
  readonly features: number | undefined;
  /** The manifest has a drift profile and someone listens: results go to `onResult`. */
  readonly observed: boolean;
  inFlight: number;
  idleWaiters: Array<() => void>;
  retired: Promise<void> | undefined;
}

export function createInferenceService(options: InferenceServiceOptions): InferenceService {
  const maxRows = options.maxRows ?? DEFAULTS.maxRows;
  const slots = new Map<string, Slot>();
  let state: 'open' | 'closed' = 'open';

  function makeSlot(line: string, entry: ModelEntry): Slot {
    const input = entry.manifest.inputs[0];
    const output = entry.manifest.outputs[0];
    // This iteration's contract (brief): one float32 [N, F] input, one float32 [N, C] output.
    if (input?.dtype !== 'float32' || output?.dtype !== 'float32') {
      throw new AgentError('RUNTIME_UNAVAILABLE', `model ${line} v${entry.version} is not float32 in/out`, {
        details: { line, version: entry.version },
      });
    }
    const last = input.shape.at(-1);
    const slot: Slot = {
      entry: {
        ...entry,
        line,
        activatedAt: options.clock.now(),
        inFlight: () => slot.inFlight,
        retire: () => {
          slot.retired ??= waitIdle(slot).then(() => entry.model.close());
          return slot.retired;
        },
      },
      features: last !== undefined && last > 0 ? last : undefined,
      observed: options.onResult !== undefined && entry.manifest.profile !== undefined,
      inFlight: 0,
      idleWaiters: [],
      retired: undefined,
    };
    return slot;
  }

  function waitIdle(slot: Slot): Promise<void> {
    if (slot.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => slot.idleWaiters.push(resolve));
  }

  function release(slot: Slot): void {
    slot.inFlight -= 1;
    if (slot.inFlight === 0) for (const resolve of slot.idleWaiters.splice(0)) resolve();
  }

  /** The active slot for `line`, pinned (in-flight +1) synchronously so a concurrent swap cannot close it. */
  function pin(line: string, validate: (features: number | undefined) => string | undefined): Slot {
    const slot = state === 'open' ? slots.get(line) : undefined;
    if (slot === undefined)
      throw new AgentError('NO_MODEL', `no model is active for line ${line}`, { details: { line } });
    const invalid = validate(slot.features);
    if (invalid !== undefined) throw new AgentError('INPUT_INVALID', invalid, { details: { line } });
    slot.inFlight += 1;
    return slot;
  }

  async function runOn(slot: Slot, input: TensorData): Promise<TensorPrediction> {
    const { line, version, model } = slot.entry;
    const rows = input.shape[0] as number;
    const started = performance.now();
    let ok = false;
    try {
      const output = await model.run(input);
      const latencyMs = performance.now() - started;
      if (output.data.length % rows !== 0) {
        throw new AgentError('INTERNAL', `model ${line} returned ${output.data.length} values for ${rows} rows`);
      }
      ok = true;
      options.onLatency?.({ line, version, latencyMs, ok });
      if (slot.observed) options.onResult?.({ line, version, manifest: slot.entry.manifest, input, output });
      options.onServed?.({ line, version, manifest: slot.entry.manifest, input, output, latencyMs });
      return { line, version, output, latencyMs };
    } finally {
      if (!ok) options.onLatency?.({ line, version, latencyMs: performance.now() - started, ok });
      release(slot);
    }
  }

  return {
    activate(line, entry) {
      if (state === 'closed') throw new AgentError('INVALID_TRANSITION', 'inference service is closed');
      const previous = slots.get(line);
      slots.set(line, makeSlot(line, entry));
      return previous?.entry;
    },

    async predict(line, rows) {
      let data: Float32Array | undefined;
      const slot = pin(line, (features) => {
        const packed = packRows(rows, features, maxRows);
        if (typeof packed === 'string') return packed;
        data = packed;
        return undefined;
      });
      const width = (rows[0] as readonly number[]).length;
      const result = await runOn(slot, { data: data as Float32Array, shape: [rows.length, width] });
      return {
        line,
        version: result.version,
        outputs: splitRows(result.output.data, rows.length),
        latencyMs: result.latencyMs,
      };
    },

    async predictTensor(line, input) {
      return runOn(
        pin(line, (features) => validateTensor(input, features, maxRows)),
        input,
      );
    },

    active() {
      return [...slots.values()].map(({ entry }) => ({
        line: entry.line,
        version: entry.version,
        digest: entry.digest,
        activatedAt: entry.activatedAt,
      }));
    },

    async close() {
      if (state === 'closed') return;
      state = 'closed';
      const retiring = [...slots.values()].map((slot) => slot.entry.retire());
      slots.clear();
      await Promise.all(retiring);
    },
  };
}
