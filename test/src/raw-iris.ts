/**
 * The baseline e2e tests compare an agent's answers with: an iris model run by raw onnxruntime (its own
 * session, default options) on `rows`, the class probabilities flattened row by row.
 */
import { IRIS_INPUT_NAME, IRIS_OUTPUT_NAME } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';

export async function rawIrisProbabilities(model: Uint8Array, rows: readonly (readonly number[])[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(model);
  try {
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, rows[0]?.length ?? 0]);
    const out = await session.run({ [IRIS_INPUT_NAME]: input });
    return Array.from(out[IRIS_OUTPUT_NAME]?.data as Float32Array);
  } finally {
    await session.release();
  }
}
