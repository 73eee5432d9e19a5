/**
 * Firmware-bridge benchmark: effective payload throughput of the serial link against the raw
 * limits, and the time to deliver a 32 KiB model, at 115200 baud on a clean line. Three numbers per run,
 * all measured in the same process on the same paced null modem (binding-mock, 10 bits per byte):
 *   - baud limit: 115200 / 10 = 11,520 B/s, what any UART protocol is bounded by;
 *   - raw mock port: 32 KiB of unframed bytes written back to back, timed until the last byte arrives;
 *   - delivered model: a 32 KiB mcu-int8 image sent by the gateway's transfer (COBS frames, CRC-32, CBOR
 *     chunks, ARQ acks, model-acks) into an emulated MCU's flash, timed from offer to the MCU's "complete".
 * Writes bench-results/firmware-bridge.json (ratios vs both baselines, median of the runs).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { encodeMcuModel, type McuModel, systemClock } from '@edgefleet/protocol';
import { mulberry32 } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import {
  createMcuEmulator,
  createMcuSession,
  deliverImage,
  encodeFrame,
  lineTimeMs,
  MESSAGE_TYPES,
  openNullModem,
  TRANSFER_DEFAULTS,
} from '../src/index.js';

const BAUD = 115_200;
const RUNS = 3;
const logger = pino({ level: 'silent' });
const BAUD_LIMIT_BYTES_PER_S = BAUD / 10;

/** An int8 logistic regression of 815 features × 32 classes: 32,750 bytes, a TinyML-sized image. */
function model32KiB(): Uint8Array {
  const random = mulberry32(1);
  const features = 815;
  const classes = 32;
  const model: McuModel = {
    features,
    inputOffset: new Float32Array(features),
    inputScale: new Float32Array(features).fill(0.05),
    layers: [
      {
        inputs: features,
        outputs: classes,
        activation: 'none',
        weightScale: 0.01,
        outputScale: 0,
        weights: Int8Array.from({ length: features * classes }, () => Math.floor(random() * 255) - 127),
        bias: Int32Array.from({ length: classes }, () => Math.floor(random() * 2000) - 1000),
      },
    ],
  };
  return encodeMcuModel(model);
}

async function rawPortBytesPerS(bytes: number): Promise<number> {
  const [a, b] = await openNullModem({ baudRate: BAUD });
  let received = 0;
  const done = new Promise<number>((resolve) =>
    b.onData((chunk) => {
      received += chunk.length;
      if (received >= bytes) resolve(performance.now());
    }),
  );
  const started = performance.now();
  const block = new Uint8Array(512).fill(0x55);
  const writes: Promise<void>[] = [];
  for (let sent = 0; sent < bytes; sent += block.length)
    writes.push(a.write(block.subarray(0, Math.min(512, bytes - sent))));
  await Promise.all(writes);
  const ended = await done;
  await Promise.all([a.close(), b.close()]);
  return bytes / ((ended - started) / 1000);
}

async function deliverOnce(image: Uint8Array): Promise<{ seconds: number; chunks: number }> {
  const [gatewayEnd, mcuEnd] = await openNullModem({ baudRate: BAUD });
  const session = createMcuSession({ transport: gatewayEnd, gatewayId: 'gw-bench', clock: systemClock, logger });
  const emulator = createMcuEmulator({ transport: mcuEnd, mcuId: 'mcu-bench', logger, flashBytes: 128 * 1024 });
  await session.whenUp(5000);
  const started = performance.now();
  const result = await deliverImage(session, image, { logger, setTimer: systemClock.setTimer });
  const seconds = (performance.now() - started) / 1000;
  if (emulator.stats().imagesCommitted !== 1) throw new Error('the MCU did not commit the image');
  await session.close();
  await emulator.close();
  return { seconds, chunks: result.chunksSent };
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  const image = model32KiB();
  const raw: number[] = [];
  const delivered: number[] = [];
  let chunks = 0;
  for (let run = 0; run < RUNS; run++) {
    raw.push(await rawPortBytesPerS(image.length));
    const { seconds, chunks: sent } = await deliverOnce(image);
    delivered.push(seconds);
    chunks = sent;
  }
  // What the framing alone costs: one full model-chunk frame on the wire vs its payload bytes.
  const sample = encodeFrame({ type: MESSAGE_TYPES['model-chunk'], seq: 1, payload: new Uint8Array(0) });
  const chunkBytes = TRANSFER_DEFAULTS.chunkBytes;
  const deliverySeconds = median(delivered);
  const payloadBytesPerS = image.length / deliverySeconds;
  const rawBytesPerS = median(raw);
  const result = {
    bench: 'firmware-bridge link throughput',
    date: new Date().toISOString(),
    node: process.version,
    baudRate: BAUD,
    bitsPerByte: 10,
    runs: RUNS,
    modelBytes: image.length,
    chunkBytes,
    chunksSent: chunks,
    baselines: {
      baudLimitBytesPerS: BAUD_LIMIT_BYTES_PER_S,
      rawMockPortBytesPerS: Math.round(rawBytesPerS),
      rawMockPortVsBaudLimit: round(rawBytesPerS / BAUD_LIMIT_BYTES_PER_S),
      baudLimitSecondsFor32KiB: round(lineTimeMs(image.length, BAUD) / 1000),
    },
    delivery: {
      secondsMedian: round(deliverySeconds),
      secondsAll: delivered.map(round),
      payloadBytesPerS: Math.round(payloadBytesPerS),
      vsBaudLimit: round(payloadBytesPerS / BAUD_LIMIT_BYTES_PER_S),
      vsRawMockPort: round(payloadBytesPerS / rawBytesPerS),
      goalVsBaudLimit: 0.85,
      emptyFrameOverheadBytes: sample.length,
    },
  };
  await mkdir(new URL('../../bench-results/', import.meta.url), { recursive: true });
  await writeFile(
    new URL('../../bench-results/firmware-bridge.json', import.meta.url),
    `${JSON.stringify(result, null, 2)}\n`,
  );
  console.log(JSON.stringify(result, null, 2));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

await main();
