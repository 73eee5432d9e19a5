/**
 * What an upload may ask of its int8 variant (metadata `int8Variant`): which operators to quantize and from
 * what weight size (quantize/quantize-dynamic.ts), which output decides whether the variant answers like
 * the fp32 version, and the bar it must clear — `minAgreement` always, `maxAccuracyDrop` when the evaluation
 * set is labelled (metadata `evaluationLabels`). Defaults live in one frozen object; docs/adr/0002 says why.
 */
import { tensorNameSchema, toleranceSchema } from '@edgefleet/protocol';
import { z } from 'zod';
import { EVALUATION_LIMITS } from '../samples/sample-source.js';

export const INT8_VARIANT_DEFAULTS = Object.freeze({
  /** One disagreement in twenty: the bar the quantizer's own tests hold the PaddleOCR CNN to. */
  minAgreement: 0.95,
  /** For outputs that are not class scores: within 0.01 + 1 % of the fp32 value. */
  tolerance: Object.freeze({ atol: 0.01, rtol: 0.01 }),
});

const quantizableOps = z
  .array(z.enum(['MatMul', 'Gemm', 'Conv']))
  .min(1)
  .max(3)
  .refine((ops) => new Set(ops).size === ops.length, 'name each operator once');

export const int8VariantSchema = z.strictObject({
  /** Operator types whose constant weights become int8 (default all three). */
  ops: quantizableOps.optional(),
  /** Weights with fewer elements stay float (quantizeDynamic's default when absent). */
  minElements: z.int().min(0).max(2_147_483_647).optional(),
  /** Share of compared rows (argmax) or elements (tolerance) that must agree with the fp32 version. */
  minAgreement: z.number().min(0).max(1).default(INT8_VARIANT_DEFAULTS.minAgreement),
  /** With labels: how much lower than the fp32 version's the variant's accuracy may be. */
  maxAccuracyDrop: z.number().min(0).max(1).optional(),
  /** The output compared (default: the first output that is not recurrent state). */
  output: tensorNameSchema.optional(),
  /** Outputs without classes on their last axis: what counts as the same answer. */
  tolerance: toleranceSchema.default(INT8_VARIANT_DEFAULTS.tolerance),
});

export type Int8VariantOptions = z.output<typeof int8VariantSchema>;

/** Metadata `evaluationLabels`: the class of each row of the compared output over the evaluation samples. */
export const evaluationLabelsSchema = z
  .array(z.int().min(0).max(65_535))
  .min(1)
  .max(64 * EVALUATION_LIMITS.maxSamples);
