/**
 * Turning callers' inputs into model tensors and model tensors back into rows for the inference service
 * (DESIGN.md §4 Inference): validation of JSON rows and typed-array tensors against the manifest's feature
 * count and the per-call row limit, packing rows into one Float32Array, and splitting an [N, C] output into
 * N rows. Every validator returns the reason for invalid input (the service turns it into INPUT_INVALID)
 * instead of throwing, so the hot path stays free of exceptions.
 */
import type { TensorData } from '../runtime/runtime.js';

/**
 * Validates the rows and packs them into one Float32Array in the same pass (this is the hot path: plain
 * indexed loops, which V8 runs much faster than TypedArray.set(array) or for...of). Returns the reason on
 * invalid input.
 */
export function packRows(
  rows: readonly (readonly number[])[],
  features: number | undefined,
  maxRows: number,
): Float32Array | string {
  if (!Array.isArray(rows) || rows.length === 0) return 'inputs must be a non-empty array of rows';
  if (rows.length > maxRows) return `at most ${maxRows} rows per call, got ${rows.length}`;
  const width = features ?? rows[0]?.length ?? 0;
  if (width === 0) return 'rows must not be empty';
  const data = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (!Array.isArray(row) || row.length !== width) return `row ${r} must have ${width} features`;
    for (let c = 0; c < width; c++) {
      const value = row[c];
      if (typeof value !== 'number' || !Number.isFinite(value)) return `row ${r} holds a non-finite value`;
      data[r * width + c] = value;
    }
  }
  return data;
}

export function validateTensor(input: TensorData, features: number | undefined, maxRows: number): string | undefined {
  if (!(input?.data instanceof Float32Array)) return 'input data must be a Float32Array';
  const [rows, width] = input.shape;
  if (input.shape.length !== 2 || !Number.isInteger(rows) || !Number.isInteger(width))
    return 'shape must be [rows, features]';
  if ((rows as number) < 1 || (rows as number) > maxRows) return `1 to ${maxRows} rows per call, got ${rows}`;
  if (features !== undefined && width !== features) return `rows must have ${features} features, got ${width}`;
  if (input.data.length !== (rows as number) * (width as number)) return 'data length does not match the shape';
  for (let i = 0; i < input.data.length; i++) {
    if (!Number.isFinite(input.data[i])) return `element ${i} is not finite`;
  }
  return undefined;
}

/** Splits a [N, C] output into N rows; the service checked that the length divides evenly. */
export function splitRows(data: Float32Array, rowCount: number): number[][] {
  const width = data.length / rowCount;
  const outputs: number[][] = new Array(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row: number[] = new Array(width);
    for (let c = 0; c < width; c++) row[c] = data[r * width + c] as number;
    outputs[r] = row;
  }
  return outputs;
}
