/**
 * Runs a model's self-test set (DESIGN.md §3, §4 Install) against a freshly loaded model before the agent
 * switches to it: every output of every vector must match what the registry's onnxruntime computed, within
 * the manifest's tolerance for that output (exactly for integer and bool outputs). A stateful model runs
 * the vectors as one stream from its initial state, feeding each state output back, as a device stream
 * does. A wrong shape, a NaN or a run that throws fails the test; the first failing vector is reported.
 */
import {
  bindSymbols,
  decodeTensorMap,
  firstDifference,
  initialState,
  type ManifestBody,
  type SelfTestSet,
  type Tensor,
} from '@edgefleet/protocol';
import type { LoadedModel } from './runtime.js';

export type SelfTestResult =
  | { readonly ok: true; readonly maxError: number }
  | { readonly ok: false; readonly maxError: number; readonly vectorIndex: number; readonly reason: string };

const EXACT = Object.freeze({ atol: 0, rtol: 0 });

export async function runSelfTest(
  model: LoadedModel,
  manifest: ManifestBody,
  set: SelfTestSet,
): Promise<SelfTestResult> {
  const tolerance = manifest.selfTest?.tolerance ?? {};
  const state = manifest.state ?? [];
  let carried: Record<string, Tensor> = {};
  let maxError = 0;
  for (const [vectorIndex, vector] of set.vectors.entries()) {
    const fail = (reason: string, error = Number.POSITIVE_INFINITY): SelfTestResult => ({
      ok: false,
      maxError: Math.max(maxError, error),
      vectorIndex,
      reason,
    });
    const feeds: Record<string, Tensor> = decodeTensorMap(vector.inputs);
    if (state.length > 0) {
      const bound = bindSymbols(manifest.inputs, feeds);
      for (const pair of state) {
        const spec = manifest.inputs.find((t) => t.name === pair.input);
        if (spec !== undefined) feeds[pair.input] = carried[pair.input] ?? initialState(spec, bound);
      }
    }
    let outputs: Record<string, Tensor>;
    try {
      outputs = await model.run(feeds);
    } catch (error) {
      return fail(`run failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const expected = decodeTensorMap(vector.outputs);
    for (const [name, want] of Object.entries(expected)) {
      const got = outputs[name];
      if (got === undefined) return fail(`output ${name} is missing`);
      if (got.type !== want.type || got.dims.join(',') !== want.dims.join(',')) {
        return fail(
          `output ${name} is ${got.type} [${got.dims.join(', ')}], expected ${want.type} [${want.dims.join(', ')}]`,
        );
      }
      const isFloat = want.type === 'float32' || want.type === 'float16';
      const { difference, maxError: error } = firstDifference(got, want, isFloat ? (tolerance[name] ?? EXACT) : EXACT);
      if (difference !== undefined) {
        return fail(
          Number.isNaN(difference.error)
            ? `output ${name} element ${difference.index} is NaN`
            : `output ${name} element ${difference.index} differs by ${difference.error}, more than ${difference.allowed}`,
          Number.isNaN(difference.error) ? Number.POSITIVE_INFINITY : difference.error,
        );
      }
      if (error > maxError) maxError = error;
    }
    carried = {};
    for (const pair of state) {
      const next = outputs[pair.output];
      if (next !== undefined) carried[pair.input] = next;
    }
  }
  return { ok: true, maxError };
}
