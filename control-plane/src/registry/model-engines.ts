/**
 * The engines the registry runs an uploaded model in, to compute what devices must reproduce (self-test
 * vectors) and the drift reference profile: onnxruntime-node for `onnx`, and the protocol's reference int8
 * arithmetic for `mcu-int8` microcontroller images (DESIGN.md §6), the exact function the MCU runs. A file
 * an engine cannot load is refused here (MODEL_LOAD_FAILED): it would fail on every device. Both expose one
 * float32 [N, F] input and one float32 [N, C] output, as the manifest describes them.
 */
import { decodeMcuModel, mcuModelClasses, runMcuModel, type TensorSpec } from '@edgefleet/protocol';
import * as ort from 'onnxruntime-node';
import { ControlPlaneError } from '../errors.js';

export type EngineRuntime = 'onnx' | 'mcu-int8';

export interface ModelEngine {
  readonly input: TensorSpec;
  readonly output: TensorSpec;
  /** Runs `rows` rows ([rows, features] row-major); returns [rows, classes]. */
  run(data: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/** The tensor names an `mcu-int8` manifest declares (the image itself has no names). */
export const MCU_TENSOR_NAMES = Object.freeze({ input: 'features', output: 'probabilities' });

function tensorSpecOf(meta: ort.InferenceSession.ValueMetadata, role: string): TensorSpec {
  if (!meta.isTensor || meta.type !== 'float32') {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', `${role} ${meta.name} must be a float32 tensor`, {
      details: { name: meta.name },
    });
  }
  // Symbolic dimensions (strings such as "batch") are dynamic: the manifest marks them -1.
  const shape = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  if (shape.length !== 2) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', `${role} ${meta.name} must have shape [N, F]`, {
      details: { name: meta.name, shape },
    });
  }
  return { name: meta.name, dtype: 'float32', shape };
}

async function openOnnx(bytes: Uint8Array): Promise<ModelEngine> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes);
  } catch (cause) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', 'onnxruntime could not load the model', { cause });
  }
  const [inputMeta] = session.inputMetadata;
  const [outputMeta] = session.outputMetadata;
  try {
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1 || !inputMeta || !outputMeta) {
      throw new ControlPlaneError('MODEL_LOAD_FAILED', 'the model must have exactly one input and one output', {
        details: { inputs: session.inputNames, outputs: session.outputNames },
      });
    }
    const input = tensorSpecOf(inputMeta, 'input');
    const output = tensorSpecOf(outputMeta, 'output');
    return {
      input,
      output,
      async run(data, rows) {
        const tensor = new ort.Tensor('float32', data, [rows, data.length / rows]);
        return (await session.run({ [input.name]: tensor }))[output.name]?.data as Float32Array;
      },
      release: () => session.release(),
    };
  } catch (error) {
    await session.release();
    throw error;
  }
}

function openMcu(bytes: Uint8Array): ModelEngine {
  let model: ReturnType<typeof decodeMcuModel>;
  try {
    model = decodeMcuModel(bytes);
  } catch (cause) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', (cause as Error).message, { cause });
  }
  return {
    input: { name: MCU_TENSOR_NAMES.input, dtype: 'float32', shape: [-1, model.features] },
    output: { name: MCU_TENSOR_NAMES.output, dtype: 'float32', shape: [-1, mcuModelClasses(model)] },
    run: async (data, rows) => runMcuModel(model, data, rows),
    release: async () => undefined,
  };
}

export function openEngine(runtime: EngineRuntime, bytes: Uint8Array): Promise<ModelEngine> {
  return runtime === 'onnx' ? openOnnx(bytes) : Promise.resolve(openMcu(bytes));
}
