/**
 * The `mcu-int8` Runtime (agent seam, DESIGN.md §4 and §6): what a child device's agent loads a model with
 * when the MCU runs its own model. `load` reads the slot file the agent has verified (manifest signature,
 * sha256), checks it is an image the protocol can parse, and delivers it to the MCU's flash unless the MCU
 * already holds it (its hello lists its images by CRC-32) — so a gateway restart re-activates installed
 * models without a transfer. The loaded model's `run` asks the MCU to run that image (by CRC) and returns
 * its outputs: the agent's self-test vectors are checked against what the MCU computes, and readings are
 * answered by the MCU itself. The gateway never runs the image.
 */
import { readFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { LoadedModel, Runtime, TensorData } from '@edgefleet/agent';
import { type Clock, decodeMcuModel, mcuModelClasses } from '@edgefleet/protocol';
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
    async load({ modelPath }) {
      const bytes = new Uint8Array(await readFile(modelPath));
      let features: number;
      let classes: number;
      try {
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
      return createLoadedModel({ session, img, features, classes });
    },
  };
}

function createLoadedModel(options: {
  session: McuSession;
  img: number;
  features: number;
  classes: number;
}): LoadedModel {
  let state: 'open' | 'closed' = 'open';
  return {
    async run(input: TensorData) {
      if (state === 'closed') throw new BridgeError('NO_MODEL', 'model is closed');
      const rows = input.shape[0] as number;
      if (input.shape.length !== 2 || input.shape[1] !== options.features) {
        throw new BridgeError('INPUT_INVALID', `input shape [${input.shape}] is not [N, ${options.features}]`);
      }
      const out = new Float32Array(rows * options.classes);
      for (let first = 0; first < rows; first += ROWS_PER_REQUEST) {
        const count = Math.min(ROWS_PER_REQUEST, rows - first);
        const batch = Array.from({ length: count }, (_, r) =>
          Array.from(input.data.subarray((first + r) * options.features, (first + r + 1) * options.features)),
        );
        const outputs = await options.session.infer(options.img, batch);
        if (outputs.length !== count || outputs.some((row) => row.length !== options.classes)) {
          throw new BridgeError('MCU_REFUSED', `MCU answered ${outputs.length} rows for ${count}`);
        }
        out.set(outputs.flat(), first * options.classes);
      }
      return { data: out, shape: [rows, options.classes] };
    },
    async close() {
      state = 'closed';
    },
  };
}
