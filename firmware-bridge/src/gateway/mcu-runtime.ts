/**
 * The `mcu-int8` Runtime (agent seam, DESIGN.md §4 and §6): what a child device's agent loads a model with
 * when the MCU runs its own model. `load` reads the MCU image from the slot file the agent has verified
 * (manifest signature, sha256) — the image is the bundle's head, its first `modelBytes` bytes; the
 * self-test set after it stays on the gateway — checks it is an image the protocol can parse, and delivers
 * it to the MCU's flash unless the MCU already holds it (its hello lists its images by CRC-32), so a
 * gateway restart re-activates installed models without a transfer. The loaded model's `run` asks the MCU
 * to run that image (by CRC) on the contract's one input, float32 [N, F], and returns its one output,
 * float32 [N, C], under the names the manifest gives them: the agent's self-test vectors are checked
 * against what the MCU computes, and readings are answered by the MCU itself. The gateway never runs the
 * image.
 */
import { crc32 } from 'node:zlib';
import { type LoadedModel, type Runtime, readModelFile } from '@edgefleet/agent';
import { type Clock, decodeMcuModel, mcuModelClasses, type Tensor } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { BridgeError } from '../errors.js';
import type { McuSession } from './mcu-session.js';
import { deliverImage, type TransferOptions, type TransferResult } from './model-transfer.js';

/** Rows per infer-req frame (messages.ts caps a request at 16 rows). */
const ROWS_PER_REQUEST = 16;

export function createMcuRuntime(options: {
  session: McuSession;
  clock: Clock;
  logger: Logger;
  transfer?: TransferOptions;
  /** Told about each completed transfer (the gateway's stats, tests). */
  onTransfer?: (result: TransferResult) => void;
}): Runtime {
  const { session, logger } = options;
  return {
    name: 'mcu-int8',
    async load(load) {
      const [input] = load.inputs;
      const [output] = load.outputs;
      if (input === undefined || output === undefined || load.inputs.length > 1 || load.outputs.length > 1) {
        throw new BridgeError('MODEL_LOAD_FAILED', 'an MCU image has exactly one input and one output', {
          details: { inputs: load.inputs.length, outputs: load.outputs.length },
        });
      }
      let bytes: Uint8Array;
      let features: number;
      let classes: number;
      try {
        bytes = await readModelFile(load);
        const model = decodeMcuModel(bytes);
        features = model.features;
        classes = mcuModelClasses(model);
      } catch (cause) {
        throw new BridgeError('MODEL_LOAD_FAILED', (cause as Error).message, { cause });
      }
      const img = crc32(bytes);
      if (session.hello?.images.some((image) => image.crc === img) !== true) {
        const result = await deliverImage(session, bytes, {
          ...options.transfer,
          logger,
          setTimer: (ms, fn) => options.clock.setTimer(ms, fn),
        });
        logger.info({ img, sizeBytes: bytes.length, resumedAt: result.resumedAt }, 'model delivered to the MCU');
        options.onTransfer?.(result);
      }
      return createLoadedModel({ session, img, features, classes, input: input.name, output: output.name });
    },
  };
}

function createLoadedModel(options: {
  session: McuSession;
  img: number;
  features: number;
  classes: number;
  input: string;
  output: string;
}): LoadedModel {
  let state: 'open' | 'closed' = 'open';
  return {
    async run(feeds) {
      if (state === 'closed') throw new BridgeError('NO_MODEL', 'model is closed');
      const input = feeds[options.input];
      if (input === undefined) throw new BridgeError('INPUT_MISSING', `input ${options.input} is missing`);
      if (!(input.data instanceof Float32Array) || input.dims.length !== 2 || input.dims[1] !== options.features) {
        throw new BridgeError(
          'INPUT_INVALID',
          `input ${options.input} is ${input.type} [${input.dims}], not float32 [N, ${options.features}]`,
        );
      }
      const data = input.data;
      const rows = input.dims[0] as number;
      const out = new Float32Array(rows * options.classes);
      for (let first = 0; first < rows; first += ROWS_PER_REQUEST) {
        const count = Math.min(ROWS_PER_REQUEST, rows - first);
        const batch = Array.from({ length: count }, (_, r) =>
          Array.from(data.subarray((first + r) * options.features, (first + r + 1) * options.features)),
        );
        const outputs = await options.session.infer(options.img, batch);
        if (outputs.length !== count || outputs.some((row) => row.length !== options.classes)) {
          throw new BridgeError('MCU_REFUSED', `MCU answered ${outputs.length} rows for ${count}`);
        }
        out.set(outputs.flat(), first * options.classes);
      }
      const tensor: Tensor<'float32'> = { type: 'float32', data: out, dims: [rows, options.classes] };
      return { [options.output]: tensor };
    },
    async close() {
      state = 'closed';
    },
  };
}
