/**
 * `POST /v1/models/:line/infer` of the local HTTP API: named tensors in, named tensors out, in JSON
 * (`application/json`: { inputs: { name: { dims, data, dtype? } }, outputs?, stream? }) or in CBOR
 * (`application/cbor`: the same with each tensor as { dtype, dims, data: little-endian byte string }, for
 * large tensors: an image costs its own bytes, not a JSON array). The answer comes in the request's form.
 */
import {
  decodeCbor,
  decodeTensorMap,
  encodeCbor,
  encodedTensorMapSchema,
  encodeTensorMap,
  jsonTensorSchema,
  type Tensor,
  tensorFromJson,
  tensorNameSchema,
  tensorToJson,
} from '@edgefleet/protocol';
import { z } from 'zod';
import { AgentError } from '../errors.js';
import type { Inference, InferenceService } from './inference-service.js';

const callOptionsSchema = {
  outputs: z.array(tensorNameSchema).max(64).optional(),
  stream: z.string().min(1).max(128).optional(),
};
const jsonBodySchema = z.object({ inputs: z.record(tensorNameSchema, z.unknown()), ...callOptionsSchema });
const cborBodySchema = z.object({ inputs: encodedTensorMapSchema, ...callOptionsSchema });

export interface InferReply {
  readonly contentType: string;
  readonly body: string | Uint8Array;
}

function summary(result: Inference) {
  return { line: result.line, version: result.version, latencyMs: result.latencyMs };
}

function invalidInput(input: string, message: string): AgentError {
  return new AgentError('INPUT_INVALID', `input ${input}: ${message}`, { details: { input } });
}

export async function inferJson(service: InferenceService, line: string, raw: unknown): Promise<InferReply> {
  const body = jsonBodySchema.safeParse(raw);
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new AgentError(
      'INPUT_INVALID',
      `body must be { inputs: { name: { dims, data } }, outputs?, stream? }: ${issue?.path.join('.')} ${issue?.message ?? ''}`,
    );
  }
  const { inputs } = service.contractOf(line);
  const feeds: Record<string, Tensor> = {};
  for (const [name, value] of Object.entries(body.data.inputs)) {
    const json = jsonTensorSchema.safeParse(value);
    if (!json.success) {
      const issue = json.error.issues[0];
      throw invalidInput(name, `must be { dims, data, dtype? }: ${issue?.path.join('.')} ${issue?.message ?? ''}`);
    }
    // An input the model does not have keeps its own dtype: the contract check names it (INPUT_UNEXPECTED).
    const type = json.data.dtype ?? inputs.find((t) => t.name === name)?.dtype ?? 'float32';
    const tensor = tensorFromJson(json.data, type);
    if (typeof tensor === 'string') throw invalidInput(name, tensor);
    feeds[name] = tensor;
  }
  const result = await service.infer(line, feeds, { outputs: body.data.outputs, stream: body.data.stream });
  const outputs: Record<string, ReturnType<typeof tensorToJson>> = {};
  for (const [name, tensor] of Object.entries(result.outputs)) outputs[name] = tensorToJson(tensor);
  return { contentType: 'application/json', body: JSON.stringify({ ...summary(result), outputs }) };
}

export async function inferCbor(
  service: InferenceService,
  line: string,
  bytes: Uint8Array,
  maxBytes: number,
): Promise<InferReply> {
  let body: z.infer<typeof cborBodySchema>;
  try {
    body = decodeCbor(bytes, cborBodySchema, { maxMessageBytes: maxBytes });
  } catch (cause) {
    throw new AgentError('INPUT_INVALID', `body is not a valid CBOR inference request: ${(cause as Error).message}`, {
      cause,
    });
  }
  const result = await service.infer(line, decodeTensorMap(body.inputs), {
    outputs: body.outputs,
    stream: body.stream,
  });
  return {
    contentType: 'application/cbor',
    body: encodeCbor({ ...summary(result), outputs: encodeTensorMap(result.outputs) }),
  };
}
