/**
 * Drift test helpers: register the iris model with a reference dataset, compute a device's drift sketch the
 * way an agent would (real onnxruntime outputs counted by protocol's SketchAccumulator), and wrap sketches
 * as telemetry records.
 */
import {
  type DriftSketch,
  encodeCbor,
  type ManifestBody,
  type ReferenceProfile,
  SketchAccumulator,
} from '@edgefleet/protocol';
import { buildIrisModels, irisDataset } from '@edgefleet/test-kit/models';
import * as ort from 'onnxruntime-node';
import { type Fixture, irisForm } from './control-plane-fixture.js';

export const IRIS_ROWS: number[][] = irisDataset().features;

export async function registerIrisWithReference(
  f: Fixture,
  options: { line?: string; reference?: unknown } = {},
): Promise<{ status: number; body: { version: number; manifest: ManifestBody } }> {
  const iris = buildIrisModels();
  const form = irisForm({ sampleInputs: iris.meta.sampleInputs.slice(0, 2) }, iris.fp32);
  const reference = options.reference ?? { rows: IRIS_ROWS, featureNames: iris.meta.featureNames };
  form.append('reference', typeof reference === 'string' ? reference : JSON.stringify(reference));
  const res = await f.request('POST', `/v1/models/${options.line ?? 'iris'}/versions`, { body: form });
  return { status: res.status, body: (await res.json()) as { version: number; manifest: ManifestBody } };
}

/** Class probabilities of the iris model for `rows`, flat [rows, 3], exactly as a device computes them. */
export async function irisOutputs(rows: number[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(buildIrisModels().fp32);
  try {
    const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
    return (await session.run({ features: input })).probabilities?.data as Float32Array;
  } finally {
    await session.release();
  }
}

export async function sketchOf(
  profile: ReferenceProfile,
  rows: number[][],
  meta: { line?: string; version?: number; windowStartMs: number; windowEndMs?: number },
): Promise<DriftSketch> {
  const accumulator = new SketchAccumulator(profile);
  const inputs = Float32Array.from(rows.flat());
  accumulator.addRows(inputs, await irisOutputs(rows), rows.length);
  return accumulator.snapshot({
    line: meta.line ?? 'iris',
    version: meta.version ?? 1,
    windowStartMs: meta.windowStartMs,
    windowEndMs: meta.windowEndMs ?? meta.windowStartMs + 60_000,
  });
}

export function driftTelemetry(records: (DriftSketch & { seq: number })[]): Uint8Array {
  return encodeCbor({
    v: 1,
    type: 'telemetry',
    ts: Date.now(),
    records: records.map((r) => ({ ...r, kind: 'drift' })),
  });
}

/** Every feature moved up by `cm` centimetres: the decile bins see mass pile into the overflow bin. */
export function shifted(rows: number[][], cm: number): number[][] {
  return rows.map((row) => row.map((x) => x + cm));
}
