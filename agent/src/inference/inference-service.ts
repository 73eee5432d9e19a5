/**
 * The in-process inference API (DESIGN.md §4 Inference): which model answers for each line, named tensors
 * checked against the model's contract (manifest `inputs`), recurrent state per stream, latency
 * measurement, and hot swaps. A swap never breaks a running prediction: each active entry counts its
 * in-flight runs and `retire()` closes its model only after they have all finished; it clears the line's
 * state streams, so no stream carries a state across versions.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, ManifestBody, Tensor, TensorMap } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import { float32Tensor, type LoadedModel, type TensorData, tensorData } from '../runtime/runtime.js';
import { type ActiveSlot, createSlot, type TabularView } from './active-slot.js';
import { createStateStreams, type StateStreamsOptions } from './state-streams.js';
import { packRows, splitRows, validateTensor } from './tensor-io.js';

const DEFAULTS = Object.freeze({
  maxRows: 1024,
  /** Elements of one input tensor (16 Mi: a 64 MiB float32 tensor). */
  maxElements: 16 * 1024 * 1024,
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
  /** The model's first output, [N, C]. */
  readonly output: TensorData;
  readonly latencyMs: number;
}

export interface InferOptions {
  /** The outputs to return; every output when absent. */
  readonly outputs?: readonly string[] | undefined;
  /** The state stream this call continues (models with recurrent state). */
  readonly stream?: string | undefined;
}

export interface Inference {
  readonly line: string;
  readonly version: number;
  /** onnxruntime's own output tensors, not copied. */
  readonly outputs: Record<string, Tensor>;
  readonly latencyMs: number;
}

/**
 * A successful run of a model whose manifest has a drift profile, handed to `onResult` (the drift monitor,
 * which turns the tensors into drift rows). The tensors are the caller's and the runtime's: not copied.
 */
export interface InferenceResult {
  readonly line: string;
  readonly version: number;
  readonly manifest: ManifestBody;
  readonly feeds: TensorMap;
  readonly outputs: Readonly<Record<string, Tensor>>;
}

/** A successful run as the caller got it, with its measured latency: what a shadow run is compared with. */
export interface ServedResult {
  readonly line: string;
  readonly version: number;
  readonly manifest: ManifestBody;
  readonly feeds: TensorMap;
  readonly outputs: Readonly<Record<string, Tensor>>;
  readonly latencyMs: number;
}

export interface InferenceService {
  /** Makes `entry` answer for `line`; returns the entry it replaced so the caller can `retire()` it. */
  activate(line: string, entry: ModelEntry): ActiveModel | undefined;
  /** Named tensors in, named tensors out: the contract of the model's graph. */
  infer(line: string, feeds: TensorMap, options?: InferOptions): Promise<Inference>;
  /** Rows in, rows out: the JSON-shaped API for tabular models (one float32 [N, F] input). */
  predict(line: string, rows: readonly (readonly number[])[]): Promise<Prediction>;
  /** A float32 [N, F] tensor in, the first output out: the typed form of `predict`. */
  predictTensor(line: string, input: TensorData): Promise<TensorPrediction>;
  /** Forgets a stream's recurrent state; false when the stream did not exist. */
  resetStream(line: string, stream: string): boolean;
  /** The contract of the model active for `line` (NO_MODEL when there is none). */
  contractOf(line: string): Pick<ManifestBody, 'inputs' | 'outputs' | 'state'>;
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
  /** Largest element count of one input tensor. */
  readonly maxElements?: number;
  readonly streams?: Omit<StateStreamsOptions, 'clock'>;
}

export function createInferenceService(options: InferenceServiceOptions): InferenceService {
  const maxRows = options.maxRows ?? DEFAULTS.maxRows;
  const limits = { maxElements: options.maxElements ?? DEFAULTS.maxElements };
  const slots = new Map<string, ActiveSlot>();
  const streams = createStateStreams({ clock: options.clock, ...options.streams });
  let state: 'open' | 'closed' = 'open';

  /** The active slot for `line`, pinned (in-flight +1) synchronously so a concurrent swap cannot close it. */
  function pin(line: string): ActiveSlot {
    const slot = state === 'open' ? slots.get(line) : undefined;
    if (slot === undefined)
      throw new AgentError('NO_MODEL', `no model is active for line ${line}`, { details: { line } });
    slot.inFlight += 1;
    return slot;
  }

  /**
   * One run on a pinned slot; releases the pin when it settles. No closure is created per call (a
   * per-call arrow costs measurably against a raw `InferenceSession.run`, more so under tsx's keepNames).
   */
  async function runOn(slot: ActiveSlot, feeds: TensorMap, fetches: readonly string[] | undefined): Promise<Inference> {
    const { line, version, model, manifest } = slot.entry;
    const started = performance.now();
    let ok = false;
    try {
      const outputs = await model.run(feeds, fetches);
      const latencyMs = performance.now() - started;
      ok = true;
      options.onLatency?.({ line, version, latencyMs, ok });
      if (slot.observed) options.onResult?.({ line, version, manifest, feeds, outputs });
      options.onServed?.({ line, version, manifest, feeds, outputs, latencyMs });
      return { line, version, outputs, latencyMs };
    } finally {
      if (!ok) options.onLatency?.({ line, version, latencyMs: performance.now() - started, ok });
      slot.release();
    }
  }

  /** The contract mismatch of `feeds` as an error, or undefined. */
  function mismatchError(slot: ActiveSlot, feeds: TensorMap, context: Record<string, unknown>): AgentError | undefined {
    const mismatch = slot.check(feeds);
    if (mismatch === undefined) return undefined;
    return new AgentError(mismatch.code, mismatch.message, { details: { ...context, ...mismatch.details } });
  }

  function infer(line: string, feeds: TensorMap, callOptions: InferOptions = {}): Promise<Inference> {
    let slot: ActiveSlot;
    try {
      slot = pin(line);
    } catch (error) {
      return Promise.reject(error);
    }
    try {
      const fetches = slot.fetchesFor(callOptions.outputs);
      if (slot.statePairs.length === 0 || slot.suppliesState(feeds)) {
        const invalid = mismatchError(slot, feeds, { line });
        if (invalid !== undefined) throw invalid;
        return runOn(slot, feeds, fetches);
      }
      const stream = callOptions.stream;
      if (stream === undefined || stream.length === 0 || stream.length > 128) {
        throw new AgentError(
          'INPUT_INVALID',
          `model ${line} keeps recurrent state: name a stream (1 to 128 characters)`,
          {
            details: { line },
          },
        );
      }
      const pinned = slot;
      // runOn releases the pin once it runs; a refusal before it (a full stream table, a mismatch) must too.
      let handed = false;
      return streams
        .run(line, stream, async (current) => {
          handed = true;
          const withState = pinned.withState(feeds, current);
          const invalid = mismatchError(pinned, withState, { line, stream });
          if (invalid !== undefined) {
            pinned.release();
            throw invalid;
          }
          const result = await runOn(pinned, withState, pinned.withStateOutputs(fetches));
          return {
            result: pinned.withoutStateOutputs(result, callOptions.outputs),
            state: pinned.nextState(result.outputs),
          };
        })
        .catch((error: unknown) => {
          if (!handed) pinned.release();
          throw error;
        });
    } catch (error) {
      slot.release();
      return Promise.reject(error);
    }
  }

  function tabularOf(line: string): TabularView {
    const tabular = slots.get(line)?.tabular;
    if (tabular === undefined && slots.has(line)) {
      throw new AgentError(
        'INPUT_INVALID',
        `model ${line} does not take rows (one float32 [N, F] input); send named tensors`,
        {
          details: { line },
        },
      );
    }
    // An unknown line falls through to infer(), which answers NO_MODEL.
    return tabular ?? { input: '', output: '', features: undefined };
  }

  return {
    activate(line, entry) {
      if (state === 'closed') throw new AgentError('INVALID_TRANSITION', 'inference service is closed');
      const previous = slots.get(line);
      slots.set(
        line,
        createSlot({ line, entry, clock: options.clock, limits, observed: options.onResult !== undefined }),
      );
      streams.clearLine(line);
      return previous?.entry;
    },

    infer,

    async predict(line, rows) {
      const tabular = tabularOf(line);
      const packed = packRows(rows, tabular.features, maxRows);
      if (typeof packed === 'string') throw new AgentError('INPUT_INVALID', packed, { details: { line } });
      const width = (rows[0] as readonly number[]).length;
      const input = float32Tensor({ data: packed, shape: [rows.length, width] });
      const result = await infer(line, { [tabular.input]: input }, { outputs: [tabular.output] });
      const output = result.outputs[tabular.output] as Tensor<'float32'>;
      return {
        line,
        version: result.version,
        outputs: splitRows(output.data, rows.length),
        latencyMs: result.latencyMs,
      };
    },

    async predictTensor(line, input) {
      const tabular = tabularOf(line);
      const invalid = validateTensor(input, tabular.features, maxRows);
      if (invalid !== undefined) throw new AgentError('INPUT_INVALID', invalid, { details: { line } });
      const result = await infer(line, { [tabular.input]: float32Tensor(input) }, { outputs: [tabular.output] });
      const output = result.outputs[tabular.output] as Tensor;
      return { line, version: result.version, output: tensorData(output), latencyMs: result.latencyMs };
    },

    resetStream: (line, stream) => streams.reset(line, stream),

    contractOf(line) {
      const slot = state === 'open' ? slots.get(line) : undefined;
      if (slot === undefined)
        throw new AgentError('NO_MODEL', `no model is active for line ${line}`, { details: { line } });
      const { inputs, outputs, state: pairs } = slot.entry.manifest;
      return { inputs, outputs, ...(pairs === undefined ? {} : { state: pairs }) };
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
