/**
 * Label feedback for the 'error' drift signal: the body of `POST /v1/models/:line/feedback` (and of
 * `agent.feedback`) is the class the model predicted per row and the true label per row; each pair becomes
 * one 0/1 error sample. Validated here, at the boundary, so the detectors only ever see clean pairs.
 */
import { z } from 'zod';
import { AgentError } from '../errors.js';

export const FEEDBACK_DEFAULTS = Object.freeze({ maxRows: 1024 });

const classIndex = z.int().nonnegative();

export const feedbackBodySchema = z
  .object({
    predicted: z.array(classIndex).min(1).max(FEEDBACK_DEFAULTS.maxRows),
    labels: z.array(classIndex).min(1).max(FEEDBACK_DEFAULTS.maxRows),
  })
  .refine((body) => body.predicted.length === body.labels.length, 'predicted and labels must have the same length');

export type Feedback = z.infer<typeof feedbackBodySchema>;

/** Parses a feedback body or throws INPUT_INVALID naming the first problem. */
export function parseFeedback(value: unknown): Feedback {
  const parsed = feedbackBodySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new AgentError(
      'INPUT_INVALID',
      `feedback must be { predicted: int[], labels: int[] } of equal length 1..${FEEDBACK_DEFAULTS.maxRows}: ${where ? `${where}: ` : ''}${issue?.message ?? ''}`,
    );
  }
  return parsed.data;
}
