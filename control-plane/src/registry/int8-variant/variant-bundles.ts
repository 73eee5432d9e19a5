/**
 * The bundles of an upload that asks for its int8 variant: the upload's own bundle first, built exactly as
 * any registration builds it (so every mistake in the request surfaces before anything is quantized), then
 * the verdict on the variant (derive-variant.ts) and, unless it is refused, the variant's bundle as the
 * next version — its own self-test set (the int8 outputs on the same samples), a memory estimate from its
 * own file, `quantization: 'int8'`, the upload as its parent and the measured `quality`.
 */
import type { SigningKey } from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';
import { type BuiltBundle, type BundleMetadata, buildBundle } from '../bundle-builder.js';
import type { ReferenceInput } from '../reference-profile.js';
import type { SampleSource } from '../samples/sample-source.js';
import { deriveInt8Variant, type Int8Verdict } from './derive-variant.js';
import type { Int8VariantOptions } from './variant-options.js';

/** What an upload asks of its int8 variant, and the evaluation set beyond its samples. */
export interface Int8VariantRequest {
  readonly options: Int8VariantOptions;
  readonly evaluation?: SampleSource | undefined;
  /** The class of each row of the compared output over `evaluation`. */
  readonly labels?: readonly number[] | undefined;
}

export async function buildWithInt8Variant(options: {
  upload: {
    line: string;
    bytes: Uint8Array;
    metadata: BundleMetadata;
    reference?: ReferenceInput | undefined;
  };
  int8: Int8VariantRequest;
  /** The upload's version; the variant's is the next one. */
  version: number;
  previousVersion: number | null;
  targetsKeys: readonly SigningKey[];
  nowMs: number;
}): Promise<{ bundles: BuiltBundle[]; verdict: Int8Verdict }> {
  const { upload, int8, version } = options;
  const bundleOf = (bytes: Uint8Array, at: number, previous: number | null, metadata: BundleMetadata) =>
    buildBundle({
      bytes,
      line: upload.line,
      version: at,
      previousVersion: previous,
      metadata,
      reference: upload.reference,
      targetsKeys: options.targetsKeys,
      nowMs: options.nowMs,
    });
  const fp32 = await bundleOf(upload.bytes, version, options.previousVersion, upload.metadata);
  const verdict = await deriveInt8Variant({
    bytes: upload.bytes,
    comparedWith: version,
    samples: upload.metadata.samples,
    state: upload.metadata.state ?? [],
    variant: int8.options,
    evaluation: int8.evaluation,
    labels: int8.labels,
  });
  if (verdict.refused) return { bundles: [fp32], verdict };
  try {
    const variant = await bundleOf(verdict.bytes, version + 1, version, {
      ...upload.metadata,
      quantization: 'int8',
      source: `int8 of v${version}`,
      // A declared figure describes the uploaded file; the variant's is estimated from its own.
      memoryBytes: undefined,
      quality: verdict.quality,
    });
    return { bundles: [fp32, variant], verdict };
  } catch (cause) {
    if (!(cause instanceof ControlPlaneError)) throw cause;
    const message = `the int8 variant cannot be bundled: ${cause.message}`;
    return { bundles: [fp32], verdict: { ...verdict, refused: true, message } };
  }
}
