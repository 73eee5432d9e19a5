import { decodeMcuModel, encodeCbor, runMcuModel, systemClock } from '@edgefleet/protocol';
import { buildIrisMcuModel, mulberry32 } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMcuEmulator,
  createMcuSession,
  createMessagePort,
  deliverImage,
  encodeFrame,
  type McuEmulatorOptions,
  type McuSession,
  MESSAGE_TYPES,
  openMemorySerialPair,
  openNullModem,
} from '../../src/index.js';

const logger = pino({ level: 'silent' });
const iris = buildIrisMcuModel({ hidden: 128 });
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A gateway session and an emulated MCU on the two ends of a 115200-baud null modem. */
async function linked(mcu: Partial<McuEmulatorOptions> = {}) {
  const [gatewayEnd, mcuEnd] = await openNullModem({ baudRate: 115_200 });
  const session = createMcuSession({ transport: gatewayEnd, gatewayId: 'gw-1', clock: systemClock, logger });
  const emulator = createMcuEmulator({ transport: mcuEnd, mcuId: 'mcu-1', logger, ...mcu });
  closers.push(
    () => session.close(),
    () => emulator.close(),
  );
  await session.whenUp(5000);
  return { session, emulator };
}

const deliver = (session: McuSession, image: Uint8Array, chunkBytes?: number) =>
  deliverImage(session, image, {
    logger,
    setTimer: systemClock.setTimer,
    stallMs: 2000,
    ...(chunkBytes ? { chunkBytes } : {}),
  });

describe('model delivery to an emulated MCU over a 115200-baud line', () => {
  it('writes the image to flash, and the MCU then computes exactly what the reference arithmetic does', async () => {
    const { session, emulator } = await linked();
    const { crc, resumedAt } = await deliver(session, iris.bytes);
    expect(resumedAt).toEqual([]);
    expect(emulator.stats().imagesCommitted).toBe(1);
    const rows = iris.testSet.features.slice(0, 20);
    const outputs = await session.infer(crc, rows.slice(0, 16));
    const expected = runMcuModel(decodeMcuModel(iris.bytes), Float32Array.from(rows.slice(0, 16).flat()), 16);
    expect(outputs.flat()).toEqual(Array.from(expected));
    // Offered again, the MCU already holds it: nothing is sent.
    expect((await deliver(session, iris.bytes)).chunksSent).toBe(0);
  });

  it('resumes from what reached flash after the MCU reboots mid-transfer', async () => {
    const { session, emulator } = await linked({ faults: { rebootAtModelBytes: 600 } });
    const { resumedAt, chunksSent } = await deliver(session, iris.bytes);
    expect(emulator.stats().reboots).toBe(1);
    expect(resumedAt).toEqual(emulator.stats().resumedAt);
    expect(resumedAt[0]).toBeGreaterThanOrEqual(600);
    // Only the chunks in flight when it rebooted were sent twice.
    expect(chunksSent).toBeLessThan(Math.ceil(iris.bytes.length / 512) + 4);
    expect(emulator.stats().imagesCommitted).toBe(1);
  });

  it('completes through bit flips and dropped bytes: every garbled frame is caught and resent', async () => {
    const random = mulberry32(7);
    // ~3 faults per 1000 bytes: a 128-byte chunk's frame is garbled 40 % of the time.
    const { session, emulator } = await linked({ faults: { bitFlipRate: 1.5e-3, dropRate: 1.5e-3, random } });
    const { crc } = await deliver(session, iris.bytes, 128);
    const rows = iris.testSet.features.slice(0, 4);
    expect((await session.infer(crc, rows)).flat()).toEqual(
      Array.from(runMcuModel(decodeMcuModel(iris.bytes), Float32Array.from(rows.flat()), 4)),
    );
    const refused = emulator.link().rejections.FRAME_CORRUPT ?? 0;
    expect(refused + (session.rejections().FRAME_CORRUPT ?? 0)).toBeGreaterThan(0);
    expect(emulator.link().retransmits + session.stats().retransmits).toBeGreaterThan(0);
  });

  it('refuses a model larger than a flash slot, or whose arena exceeds the RAM budget, with MCU_REFUSED', async () => {
    const { session } = await linked({ flashBytes: 1024 });
    await expect(deliver(session, iris.bytes)).rejects.toMatchObject({ code: 'MCU_REFUSED' });
    // 600-byte frames and a window of 4 take 3004 B of link buffers; hidden 128 needs a 268 B arena.
    const small = await linked({ ramBytes: 3004 + 200 });
    await expect(deliver(small.session, iris.bytes)).rejects.toMatchObject({ code: 'MCU_REFUSED' });
    await expect(deliver(small.session, buildIrisMcuModel({ hidden: 8 }).bytes)).resolves.toBeDefined();
  });
});

describe('bad input on the line', () => {
  it('counts garbage, oversized frames, unknown types and invalid payloads, and the link recovers', async () => {
    const [gatewayEnd, mcuEnd] = openMemorySerialPair({ baudRate: 115_200 });
    const session = createMcuSession({ transport: gatewayEnd, gatewayId: 'gw-1', clock: systemClock, logger });
    const mcu = createMessagePort({ transport: mcuEnd, clock: systemClock, logger, maxFrameBytes: 600 });
    closers.push(
      () => session.close(),
      async () => mcu.close(),
    );
    const readings: number[][][] = [];
    session.on('readings', (r) => readings.push(r.rows));
    await mcuEnd.write(Uint8Array.from([0x13, 0x37, 0xff, 0x00, 0x42, 0x00]));
    await mcuEnd.write(encodeFrame({ type: MESSAGE_TYPES.readings, seq: 0, payload: new Uint8Array(3000) }, 5000));
    const hello = {
      mcu: 'mcu-x',
      fw: '1',
      board: 'b',
      arch: 'a',
      ramBytes: 16_384,
      flashBytes: 0,
      maxFrame: 600,
      window: 4,
      ownModel: false,
      images: [],
      staged: null,
    };
    await mcu.sendSync('hello', hello);
    await session.whenUp(2000);
    mcu.link.setPeerLimits({ maxFrameBytes: 1024, window: 4 });
    await mcu.link.send(0x7e, encodeCbor({ hi: 1 }));
    await mcu.link.send(MESSAGE_TYPES.readings, encodeCbor({ id: 1, rows: 'not rows' }));
    await mcu.send('readings', { id: 2, rows: [[5.1, 3.5, 1.4, 0.2]] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(session.rejections()).toMatchObject({
      FRAME_CORRUPT: 2,
      MESSAGE_TOO_LARGE: 1,
      FRAME_TYPE_UNKNOWN: 1,
      SCHEMA_INVALID: 1,
    });
    expect(readings).toEqual([[[5.1, 3.5, 1.4, 0.2]]]);
    expect(session.state).toBe('up');
  });
});
