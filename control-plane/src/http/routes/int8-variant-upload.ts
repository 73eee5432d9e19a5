/**
 * The int8-variant side of a model upload: reads what the upload asks (metadata `int8Variant`, the
 * evaluation set as metadata `evaluationSamples` or a file part `evaluation`, metadata `evaluationLabels`)
 * and shapes the answer's `int8` member. A refused variant answers inside the 201 of the fp32 version, with
 * the stable code QUANTIZATION_REJECTED and the numbers (docs/adr/0002-int8-variants-at-registration.md).
 */

import { ControlPlaneError } from '../../errors.js';
import type { Int8VariantOptions } from '../../registry/int8-variant/variant-options.js';
import type { Int8Outcome, Int8VariantRequest, RegisteredVersion } from '../../registry/model-registry.js';
import type { JsonSample } from '../../registry/samples/json-tensors.js';
import { evaluationSourceOf } from '../../registry/samples/sample-source.js';

interface Int8Metadata {
  readonly int8Variant?: Int8VariantOptions | undefined;
  readonly evaluationSamples?: readonly JsonSample[] | undefined;
  readonly evaluationLabels?: readonly number[] | undefined;
  readonly runtime: string;
  readonly quantization: string;
}

/** The int8 variant the upload asks for, or undefined; an evaluation set without one is BODY_INVALID. */
export function int8RequestOf(
  metadata: Int8Metadata,
  evaluationFile: Uint8Array | undefined,
): Int8VariantRequest | undefined {
  const evaluation = evaluationSourceOf({ samples: metadata.evaluationSamples, file: evaluationFile });
  if (metadata.int8Variant === undefined) {
    if (evaluation !== undefined || metadata.evaluationLabels !== undefined) {
      throw new ControlPlaneError(
        'BODY_INVALID',
        'an evaluation set (metadata `evaluationSamples`, part `evaluation`) or `evaluationLabels` needs `int8Variant`: they measure the int8 variant',
        { details: { field: 'int8Variant' } },
      );
    }
    return undefined;
  }
  if (metadata.runtime !== 'onnx' || metadata.quantization !== 'none') {
    throw new ControlPlaneError(
      'BODY_INVALID',
      'int8Variant: the variant is derived from an fp32 ONNX model; this upload declares itself int8 or an MCU image',
      { details: { field: 'int8Variant' } },
    );
  }
  return { options: metadata.int8Variant, evaluation, labels: metadata.evaluationLabels };
}

/** The answer's `int8` member: the registered variant, or the refusal with what was measured. */
export function int8Response(
  outcome: Int8Outcome,
  options: { minAgreement: number; summarize: (v: RegisteredVersion) => Record<string, unknown> },
) {
  const measured =
    outcome.quality === undefined ? {} : { agreement: outcome.quality.agreement, quality: outcome.quality };
  const nodes = { quantized: outcome.quantized, skipped: outcome.skipped };
  if (outcome.refused) {
    return {
      refused: true,
      code: 'QUANTIZATION_REJECTED',
      message: outcome.message,
      minAgreement: options.minAgreement,
      ...measured,
      ...nodes,
    };
  }
  return {
    refused: false,
    ...options.summarize(outcome.registered),
    minAgreement: options.minAgreement,
    ...measured,
    ...nodes,
    manifest: outcome.registered.manifest,
  };
}
