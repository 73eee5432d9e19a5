/**
 * One line's active model inside the inference service: its entry, its in-flight count and retirement, the
 * feed checker compiled from its contract, the state pairs it feeds back, its tabular view (the rows API
 * serves models with one float32 [N, F] input) and whether drift observes its runs (its manifest has a drift
 * profile). Everything a call needs is computed here once, at activation, so the call itself only compares.
 */
import {
  bindSymbols,
  type Clock,
  compileFeedChecker,
  type FeedChecker,
  type FeedLimits,
  initialState,
  type StatePair,
  type Tensor,
  type TensorMap,
} from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import type { ActiveModel, Inference, ModelEntry } from './inference-service.js';

export interface TabularView {
  readonly input: string;
  readonly output: string;
  /** F of [N, F]; undefined when it is not fixed. */
  readonly features: number | undefined;
}

export interface ActiveSlot {
  readonly entry: ActiveModel;
  readonly check: FeedChecker;
  readonly tabular: TabularView | undefined;
  /** Drift observes this slot's runs (the manifest has a drift profile, and someone listens). */
  readonly observed: boolean;
  readonly statePairs: readonly StatePair[];
  inFlight: number;
  release(): void;
  /** The fetch list for the outputs a caller asked for (undefined: all); OUTPUT_UNKNOWN for a wrong name. */
  fetchesFor(outputs: readonly string[] | undefined): readonly string[] | undefined;
  /** The caller passes every state input itself (a stateless use of a stateful model). */
  suppliesState(feeds: TensorMap): boolean;
  withState(feeds: TensorMap, state: Record<string, Tensor> | undefined): TensorMap;
  withStateOutputs(fetches: readonly string[] | undefined): readonly string[] | undefined;
  withoutStateOutputs(result: Inference, requested: readonly string[] | undefined): Inference;
  nextState(outputs: Readonly<Record<string, Tensor>>): Record<string, Tensor>;
}

function tabularView(entry: ModelEntry): TabularView | undefined {
  const { inputs, outputs } = entry.manifest;
  const [input] = inputs;
  const [output] = outputs;
  if (inputs.length !== 1 || input?.dtype !== 'float32' || input.shape.length !== 2) return undefined;
  if (output?.dtype !== 'float32') return undefined;
  const last = input.shape[1];
  return { input: input.name, output: output.name, features: typeof last === 'number' && last > 0 ? last : undefined };
}

export function createSlot(options: {
  line: string;
  entry: ModelEntry;
  clock: Clock;
  limits: FeedLimits;
  observed: boolean;
}): ActiveSlot {
  const { entry, line } = options;
  const { manifest } = entry;
  const outputNames = new Set(manifest.outputs.map((t) => t.name));
  const statePairs = manifest.state ?? [];
  const stateSpecs = statePairs.map((pair) => ({ pair, spec: manifest.inputs.find((t) => t.name === pair.input) }));
  const tabular = tabularView(entry);
  let retired: Promise<void> | undefined;
  const idleWaiters: Array<() => void> = [];
  const waitIdle = () =>
    slot.inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));

  const slot: ActiveSlot = {
    entry: {
      ...entry,
      line,
      activatedAt: options.clock.now(),
      inFlight: () => slot.inFlight,
      retire: () => {
        retired ??= waitIdle().then(() => entry.model.close());
        return retired;
      },
    },
    check: compileFeedChecker(manifest.inputs, options.limits),
    tabular,
    observed: options.observed && manifest.profile !== undefined,
    statePairs,
    inFlight: 0,
    release() {
      slot.inFlight -= 1;
      if (slot.inFlight === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    },
    fetchesFor(outputs) {
      if (outputs === undefined) return undefined;
      if (outputs.length === 0) {
        throw new AgentError(
          'OUTPUT_UNKNOWN',
          `name at least one output of model ${line}, or leave outputs out for all`,
          {
            details: { line, outputs: [...outputNames] },
          },
        );
      }
      for (const name of outputs) {
        if (!outputNames.has(name)) {
          throw new AgentError('OUTPUT_UNKNOWN', `model ${line} has no output ${name}`, {
            details: { line, output: name, outputs: [...outputNames] },
          });
        }
      }
      return outputs;
    },
    suppliesState: (feeds) => statePairs.every((pair) => feeds[pair.input] !== undefined),
    withState(feeds, state) {
      const bound = bindSymbols(manifest.inputs, feeds);
      const out: Record<string, Tensor> = { ...feeds };
      for (const { pair, spec } of stateSpecs) {
        if (spec !== undefined && out[pair.input] === undefined)
          out[pair.input] = state?.[pair.input] ?? initialState(spec, bound);
      }
      return out;
    },
    withStateOutputs(fetches) {
      if (fetches === undefined) return undefined;
      return [...new Set([...fetches, ...statePairs.map((p) => p.output)])];
    },
    withoutStateOutputs(result, requested) {
      if (requested === undefined) return result;
      const outputs: Record<string, Tensor> = {};
      for (const name of requested) {
        const tensor = result.outputs[name];
        if (tensor !== undefined) outputs[name] = tensor;
      }
      return { ...result, outputs };
    },
    nextState(outputs) {
      const state: Record<string, Tensor> = {};
      for (const pair of statePairs) {
        const tensor = outputs[pair.output];
        if (tensor !== undefined) state[pair.input] = tensor;
      }
      return state;
    },
  };
  return slot;
}
