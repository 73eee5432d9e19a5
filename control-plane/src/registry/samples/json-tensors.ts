/**
 * Named tensors in upload JSON (metadata `samples`, reference sets): one sample is a JSON tensor (protocol
 * `jsonTensorSchema`: `{ dims, data, dtype? }`) per input name; a malformed one is BODY_INVALID naming its
 * field.
 */
import {
  type JsonTensor,
  jsonTensorSchema,
  tensorFromJson as parseJsonTensor,
  type Tensor,
  type TensorDType,
  tensorNameSchema,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';

/** One sample: a tensor per input name. */
export const jsonSampleSchema = z.record(tensorNameSchema, jsonTensorSchema);

export type JsonSample = z.infer<typeof jsonSampleSchema>;

/** The tensor `json` describes, as `type`; errors name `where` (`samples.0.x`). */
export function tensorFromJson(json: JsonTensor, type: TensorDType, where: string): Tensor {
  const tensor = parseJsonTensor(json, type);
  if (typeof tensor === 'string') {
    throw new ControlPlaneError('BODY_INVALID', `${where}: ${tensor}`, { details: { field: where } });
  }
  return tensor;
}
