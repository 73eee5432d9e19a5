/**
 * The onnxruntime-node engine: any ONNX graph the CPU provider can run, with its contract (every named
 * input and output, element type and shape) read from the session's metadata, so the manifest says exactly
 * what the graph takes. What no device can feed or read is refused with the code that says why: a value
 * that is not a tensor, or an element type outside the protocol's set (MODEL_DTYPE_UNSUPPORTED, naming the
 * input or output); session creation failures are classified by onnx-load-errors.ts.
 */
import {
  isTensorDType,
  TENSOR_LIMITS,
  type Tensor,
  type TensorMap,
  type TensorSpec,
  tensorSpecSchema,
} from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { ControlPlaneError } from '../errors.js';
import type { ModelEngine } from './model-engines.js';
import { sessionCreateError } from './onnx-load-errors.js';

/** The manifest holds at most this many inputs and outputs each (protocol manifest schema). */
const MAX_TENSORS = 64;
/** Longest symbolic dimension name the contract carries (protocol dimSchema). */
const MAX_SYMBOL_LENGTH = 64;

type Role = 'input' | 'output';

function specOf(meta: ort.InferenceSession.ValueMetadata, role: Role): TensorSpec {
  if (!meta.isTensor) {
    throw new ControlPlaneError('MODEL_DTYPE_UNSUPPORTED', `${role} ${meta.name} is not a tensor (a sequence or map)`, {
      details: { [role]: meta.name },
    });
  }
  if (!isTensorDType(meta.type)) {
    throw new ControlPlaneError(
      'MODEL_DTYPE_UNSUPPORTED',
      `${role} ${meta.name} has element type ${meta.type}; supported: float32, float16, int8, uint8, int32, int64, bool`,
      { details: { [role]: meta.name, dtype: meta.type } },
    );
  }
  // onnxruntime reports an unknown size as 0 or -1 and a named one as its symbol; a symbol too long for the
  // contract stays free (-1): it only loses the check that equal symbols bind to equal sizes.
  const shape = meta.shape.map((d) =>
    typeof d === 'number' ? (d > 0 ? d : -1) : d.length > 0 && d.length <= MAX_SYMBOL_LENGTH ? d : -1,
  );
  const parsed = tensorSpecSchema.safeParse({ name: meta.name, dtype: meta.type, shape });
  if (!parsed.success) {
    throw new ControlPlaneError(
      'MODEL_LOAD_FAILED',
      `${role} ${meta.name.slice(0, 64)} cannot be described in a manifest (name up to 128 characters, rank up to ${TENSOR_LIMITS.maxRank})`,
      { details: { [role]: meta.name.slice(0, 128), shape } },
    );
  }
  return parsed.data;
}

function contractOf(session: ort.InferenceSession): { inputs: TensorSpec[]; outputs: TensorSpec[] } {
  const { inputMetadata, outputMetadata } = session;
  if (inputMetadata.length > MAX_TENSORS || outputMetadata.length > MAX_TENSORS) {
    throw new ControlPlaneError(
      'MODEL_LOAD_FAILED',
      `a model may have at most ${MAX_TENSORS} inputs and outputs each`,
      {
        details: { inputs: inputMetadata.length, outputs: outputMetadata.length },
      },
    );
  }
  if (inputMetadata.length === 0 || outputMetadata.length === 0) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', 'the model needs at least one input and one output');
  }
  return {
    inputs: inputMetadata.map((m) => specOf(m, 'input')),
    outputs: outputMetadata.map((m) => specOf(m, 'output')),
  };
}

function toOrt(tensor: Tensor): ort.Tensor {
  return new ort.Tensor(tensor.type, tensor.data as ort.Tensor.DataType, tensor.dims);
}

export async function openOnnxEngine(bytes: Uint8Array): Promise<ModelEngine> {
  let session: ort.InferenceSession;
  try {
    // Fatal only: every failure reaches the caller as a coded error carrying onnxruntime's message, so its
    // own stderr lines (outside the structured log) would only repeat it.
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
  } catch (cause) {
    throw sessionCreateError(cause);
  }
  let contract: ReturnType<typeof contractOf>;
  try {
    contract = contractOf(session);
  } catch (error) {
    await session.release();
    throw error;
  }
  const { inputs, outputs } = contract;
  return {
    inputs,
    outputs,
    async run(feeds: TensorMap) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) ortFeeds[name] = toOrt(tensor);
      const results = await session.run(ortFeeds);
      const out: Record<string, Tensor> = {};
      // Every output was checked to be a tensor of a protocol element type when the session opened, and
      // onnxruntime's tensors are already shaped like the protocol's: handed on without a copy.
      for (const spec of outputs) {
        const value = results[spec.name] as ort.Tensor;
        out[spec.name] = { type: spec.dtype, data: value.data, dims: value.dims } as Tensor;
      }
      return out;
    },
    release: () => session.release(),
  };
}
