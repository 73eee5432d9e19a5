/**
 * The model contract (DESIGN.md §4 Inference): every named input and output of the graph with its element
 * type and shape, as the registry read it from the model, and the checker that holds callers' named
 * tensors to it. A dimension is fixed (a positive size), symbolic (a name such as "batch": free, but every
 * dimension with the same name binds to the same size within one call) or dynamic (-1: free). Every
 * mismatch is reported with a code that names the input and the dimension, never as a runtime failure.
 */
import { z } from 'zod';
import type { ErrorCode } from '../errors/codes.js';
import { holdsDType, TENSOR_DTYPES } from './dtypes.js';
import { elementCount, TENSOR_LIMITS, type Tensor, tensorNameSchema } from './tensor.js';

export const dimSchema = z.union([z.int().min(1), z.literal(-1), z.string().min(1).max(64)]);

export const tensorSpecSchema = z.object({
  name: tensorNameSchema,
  dtype: z.enum(TENSOR_DTYPES),
  shape: z.array(dimSchema).max(TENSOR_LIMITS.maxRank),
});

export type TensorSpec = z.infer<typeof tensorSpecSchema>;
export type Dim = TensorSpec['shape'][number];

export interface TensorMismatch {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: {
    readonly input: string;
    readonly dim?: number;
    readonly expected?: unknown;
    readonly actual?: unknown;
  };
}

export interface FeedLimits {
  /** Largest element count of one input tensor. */
  readonly maxElements: number;
}

export type FeedChecker = (feeds: Readonly<Record<string, Tensor | undefined>>) => TensorMismatch | undefined;

function mismatch(code: ErrorCode, message: string, details: TensorMismatch['details']): TensorMismatch {
  return { code, message, details };
}

/**
 * Compiles the checker for one contract once (at activation), so a call costs a few comparisons per input
 * and no allocation: symbolic dimensions are numbered up front and bound in a reused array.
 */
export function compileFeedChecker(inputs: readonly TensorSpec[], limits: FeedLimits): FeedChecker {
  const symbols = new Map<string, number>();
  const compiled = inputs.map((spec) => ({
    spec,
    // -1: free; >= 0: fixed size; <= -2: symbol number (-2 - index).
    dims: spec.shape.map((d) => {
      if (typeof d === 'number') return d;
      let index = symbols.get(d);
      if (index === undefined) {
        index = symbols.size;
        symbols.set(d, index);
      }
      return -2 - index;
    }),
  }));
  const bound = new Int32Array(symbols.size);
  const symbolNames = [...symbols.keys()];
  const expected = new Set(inputs.map((s) => s.name));

  return (feeds) => {
    bound.fill(-1);
    for (const { spec, dims } of compiled) {
      const tensor = feeds[spec.name];
      const input = spec.name;
      if (tensor === undefined || tensor === null) {
        return mismatch('INPUT_MISSING', `input ${input} is missing`, { input, expected: inputs.map((s) => s.name) });
      }
      if (tensor.type !== spec.dtype || !holdsDType(spec.dtype, tensor.data)) {
        return mismatch('INPUT_DTYPE', `input ${input} must be ${spec.dtype}, got ${describeType(tensor)}`, {
          input,
          expected: spec.dtype,
          actual: tensor.type,
        });
      }
      const actual = tensor.dims;
      if (!Array.isArray(actual) || actual.length !== dims.length) {
        return mismatch('INPUT_RANK', `input ${input} must have rank ${dims.length}, got ${actual?.length}`, {
          input,
          expected: spec.shape,
          actual,
        });
      }
      for (let i = 0; i < dims.length; i++) {
        const want = dims[i] as number;
        const got = actual[i] as number;
        if (!Number.isInteger(got) || got < 0) {
          return mismatch('INPUT_DIM', `input ${input} dimension ${i} must be a non-negative integer`, {
            input,
            dim: i,
            actual: got,
          });
        }
        if (want >= 0) {
          if (got !== want) {
            return mismatch('INPUT_DIM', `input ${input} dimension ${i} must be ${want}, got ${got}`, {
              input,
              dim: i,
              expected: want,
              actual: got,
            });
          }
        } else if (want <= -2) {
          const symbol = -2 - want;
          const seen = bound[symbol] as number;
          if (seen === -1) bound[symbol] = got;
          else if (seen !== got) {
            const name = symbolNames[symbol];
            return mismatch(
              'INPUT_DIM',
              `input ${input} dimension ${i} (${name}) is ${got}, but ${name} is ${seen} elsewhere`,
              {
                input,
                dim: i,
                expected: seen,
                actual: got,
              },
            );
          }
        }
      }
      const count = elementCount(actual);
      if (count > limits.maxElements) {
        return mismatch('INPUT_TOO_LARGE', `input ${input} has ${count} elements, at most ${limits.maxElements}`, {
          input,
          expected: limits.maxElements,
          actual: count,
        });
      }
      if (tensor.data.length !== count) {
        return mismatch('INPUT_INVALID', `input ${input} holds ${tensor.data.length} elements, dims say ${count}`, {
          input,
          expected: count,
          actual: tensor.data.length,
        });
      }
    }
    for (const name in feeds) {
      if (!expected.has(name)) {
        return mismatch('INPUT_UNEXPECTED', `the model has no input ${name}`, {
          input: name,
          expected: inputs.map((s) => s.name),
        });
      }
    }
    return undefined;
  };
}

function describeType(tensor: Tensor): string {
  const array = (tensor.data as object | undefined)?.constructor?.name ?? typeof tensor.data;
  return `${String(tensor.type)} in a ${array}`;
}

/** Whether a concrete shape fits a declared one (symbols must bind consistently within the shape). */
export function shapeFits(declared: readonly Dim[], dims: readonly number[]): boolean {
  if (declared.length !== dims.length) return false;
  const bound = new Map<string, number>();
  return declared.every((d, i) => {
    const got = dims[i] as number;
    if (typeof d === 'string') {
      const seen = bound.get(d);
      bound.set(d, got);
      return seen === undefined || seen === got;
    }
    return d === -1 || d === got;
  });
}
