/**
 * What a manifest says about how well a derived version (an int8 variant, DESIGN.md §3 lineage) answers
 * like the version it was derived from: measured by the registry on an evaluation set before the version
 * was signed. `argmax` compares the predicted class per row (the last axis holds the classes); `tolerance`
 * compares every element against `atol + rtol·|reference|`. The error figures cover every element of the
 * compared output. With labels, the accuracy of both versions on the labelled rows is recorded too.
 */
import { z } from 'zod';
import { versionSchema } from '../messages/primitives.js';
import { toleranceSchema } from '../tensors/self-test-set.js';
import { tensorNameSchema } from '../tensors/tensor.js';

const share = z.number().min(0).max(1);

export const modelQualitySchema = z
  .object({
    /** The version this one was measured against (the one it was derived from). */
    comparedWith: versionSchema,
    /** The output compared. */
    output: tensorNameSchema,
    metric: z.enum(['argmax', 'tolerance']),
    /** For `tolerance`: what counts as the same answer. */
    tolerance: toleranceSchema.optional(),
    /** Share of the compared rows (argmax) or elements (tolerance) on which both versions agree. */
    agreement: share,
    /** Calls evaluated, and rows or elements compared over them. */
    samples: z.int().min(1),
    compared: z.int().min(1),
    maxAbsError: z.number().nonnegative(),
    meanAbsError: z.number().nonnegative(),
    /** With labels: rows labelled, accuracy of this version and of the reference, and this minus that. */
    labelled: z.int().min(1).optional(),
    accuracy: share.optional(),
    referenceAccuracy: share.optional(),
    accuracyDelta: z.number().min(-1).max(1).optional(),
  })
  .refine(
    (q) =>
      [q.labelled, q.accuracy, q.referenceAccuracy, q.accuracyDelta].every((v) => v === undefined) ||
      [q.labelled, q.accuracy, q.referenceAccuracy, q.accuracyDelta].every((v) => v !== undefined),
    { message: 'labelled, accuracy, referenceAccuracy and accuracyDelta come together', path: ['labelled'] },
  );

export type ModelQuality = z.infer<typeof modelQualitySchema>;
