/**
 * The tensor generator, for any other graph: every named input uniform in [low, high] (integers in
 * [⌈low⌉, ⌊high⌋]; bool is true where the value is ≥ 0.5), of the given element type or the model
 * input's, plus the cohort's drift `shift` from `drift.atMin` on.
 */
import type { TensorDType } from '@edgefleet/protocol';
import type { TensorData } from '../scenario/data-schema.js';
import { type CohortGenerator, driftStartMs } from './generator-types.js';
import { fillTensor } from './tensor-fill.js';

const INTEGER: ReadonlySet<TensorDType> = new Set(['int8', 'uint8', 'int32', 'int64']);

export function createTensorGenerator(options: {
  data: TensorData;
  /** Each input's element type (the scenario's, else the model's). */
  dtypes: Readonly<Record<string, TensorDType>>;
  startMs: number;
}): CohortGenerator {
  const { data } = options;
  const driftFromMs = driftStartMs(data.drift, options.startMs);
  const inputs = Object.entries(data.inputs).map(([name, t]) => {
    const dtype = options.dtypes[name] ?? 'float32';
    const integer = INTEGER.has(dtype);
    const low = integer ? Math.ceil(t.low) : t.low;
    // Integers: floor(low + (high − low + 1)·u) is uniform over [low, high].
    const span = integer ? Math.floor(t.high) - low + 1 : t.high - t.low;
    return { name, dtype, dims: t.dims, low, span, integer };
  });
  return {
    forDevice: (rng) => ({
      next(atMs) {
        const shift = atMs >= driftFromMs ? (data.drift?.shift ?? 0) : 0;
        const feeds = Object.fromEntries(
          inputs.map((input) => [
            input.name,
            fillTensor(input.dtype, input.dims, () => {
              const u = input.low + input.span * rng();
              return (input.integer ? Math.floor(u) : u) + shift;
            }),
          ]),
        );
        return { kind: 'tensors', feeds };
      },
    }),
  };
}
