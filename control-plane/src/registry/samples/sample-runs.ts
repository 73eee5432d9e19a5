/**
 * Runs the checked samples (sample-feeds.ts) through the model to record what every device must reproduce:
 * every output of every call. A stateless model runs each sample on its own. A stateful model runs the
 * samples as ONE stream, in order, exactly as a device stream does: the first call starts from each state
 * input's initial state (zeros, sized from the symbols the sample binds), and every later call receives the
 * previous call's state outputs. A model that throws on samples that fit its contract is refused with
 * SAMPLE_INPUTS_MISMATCH carrying onnxruntime's message: the same samples would fail on every device.
 */
import {
  bindSymbols,
  compileFeedChecker,
  initialState,
  type StatePair,
  TENSOR_LIMITS,
  type Tensor,
  type TensorMap,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';
import type { ModelEngine } from '../model-engines.js';
import { type SampleSet, sampleMismatch } from './sample-feeds.js';

export interface SampleRun {
  /** The sample as uploaded (state inputs left out). */
  readonly inputs: TensorMap;
  /** Every output of the model for that call. */
  readonly outputs: Readonly<Record<string, Tensor>>;
}

async function runOne(
  engine: ModelEngine,
  feeds: TensorMap,
  at: { sample: number; set: SampleSet },
): Promise<Record<string, Tensor>> {
  try {
    return await engine.run(feeds);
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const name = at.set === 'samples' ? `sample ${at.sample}` : `evaluation sample ${at.sample}`;
    throw new ControlPlaneError('SAMPLE_INPUTS_MISMATCH', `the model fails on ${name}: ${message}`, {
      cause,
      details: { sample: at.sample, ...(at.set === 'samples' ? {} : { set: at.set }), runtime: message },
    });
  }
}

/** `set` names the set in errors (the evaluation set of an int8 variant runs here too). */
export async function runSamples(options: {
  engine: ModelEngine;
  samples: readonly TensorMap[];
  state: readonly StatePair[];
  set?: SampleSet;
}): Promise<SampleRun[]> {
  const { engine, samples, state } = options;
  const set = options.set ?? 'samples';
  const runs: SampleRun[] = [];
  if (state.length === 0) {
    for (const [i, inputs] of samples.entries()) {
      runs.push({ inputs, outputs: await runOne(engine, inputs, { sample: i, set }) });
    }
    return runs;
  }
  // With the state filled in, the whole call is held to the contract: a sample whose batch differs from
  // the one the state was built for is named here rather than failing inside onnxruntime.
  const check = compileFeedChecker(engine.inputs, { maxElements: TENSOR_LIMITS.maxElements });
  const specs = new Map(engine.inputs.map((s) => [s.name, s]));
  let previous: Readonly<Record<string, Tensor>> | undefined;
  for (const [i, inputs] of samples.entries()) {
    const bound = bindSymbols(engine.inputs, inputs);
    const feeds: Record<string, Tensor> = { ...inputs };
    for (const pair of state) {
      feeds[pair.input] = previous?.[pair.output] ?? initialState(specs.get(pair.input)!, bound);
    }
    const found = check(feeds);
    if (found !== undefined) throw sampleMismatch(i, found, set);
    previous = await runOne(engine, feeds, { sample: i, set });
    runs.push({ inputs, outputs: previous });
  }
  return runs;
}
