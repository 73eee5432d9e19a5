/**
 * The engines the registry runs an uploaded model in, to compute what devices must reproduce (the self-test
 * set) and the drift reference profile: onnxruntime-node for `onnx` (onnx-engine.ts: any graph its CPU
 * provider runs, with the contract read from the graph), and the protocol's reference int8 arithmetic for
 * `mcu-int8` microcontroller images (DESIGN.md §6), the exact function the MCU runs. A file an engine cannot
 * load is refused here: it would fail on every device.
 */
import {
  decodeMcuModel,
  mcuModelClasses,
  runMcuModel,
  type Tensor,
  type TensorMap,
  type TensorSpec,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';
import { openOnnxEngine } from './onnx-engine.js';

export type EngineRuntime = 'onnx' | 'mcu-int8';

export interface ModelEngine {
  /** Every input of the model, as the manifest declares it. */
  readonly inputs: readonly TensorSpec[];
  /** Every output of the model, as the manifest declares it. */
  readonly outputs: readonly TensorSpec[];
  /** Runs one call; returns every output. Feeds are checked against `inputs` by the caller. */
  run(feeds: TensorMap): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** The tensor names an `mcu-int8` manifest declares (the image itself has no names). */
export const MCU_TENSOR_NAMES = Object.freeze({ input: 'features', output: 'probabilities' });

function openMcu(bytes: Uint8Array): ModelEngine {
  let model: ReturnType<typeof decodeMcuModel>;
  try {
    model = decodeMcuModel(bytes);
  } catch (cause) {
    throw new ControlPlaneError('MODEL_LOAD_FAILED', (cause as Error).message, { cause });
  }
  const classes = mcuModelClasses(model);
  return {
    inputs: [{ name: MCU_TENSOR_NAMES.input, dtype: 'float32', shape: [-1, model.features] }],
    outputs: [{ name: MCU_TENSOR_NAMES.output, dtype: 'float32', shape: [-1, classes] }],
    async run(feeds) {
      const input = feeds[MCU_TENSOR_NAMES.input];
      if (input === undefined || !(input.data instanceof Float32Array) || input.dims.length !== 2) {
        throw new ControlPlaneError('INPUT_INVALID', `input ${MCU_TENSOR_NAMES.input} must be float32 [N, F]`);
      }
      const rows = input.dims[0] as number;
      const data = runMcuModel(model, input.data, rows);
      return { [MCU_TENSOR_NAMES.output]: { type: 'float32', data, dims: [rows, classes] } };
    },
    release: async () => undefined,
  };
}

export function openEngine(runtime: EngineRuntime, bytes: Uint8Array): Promise<ModelEngine> {
  return runtime === 'onnx' ? openOnnxEngine(bytes) : Promise.resolve(openMcu(bytes));
}
