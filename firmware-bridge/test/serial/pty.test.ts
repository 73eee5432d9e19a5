import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMcuModel, runMcuModel, systemClock } from '@edgefleet/protocol';
import { buildIrisMcuModel } from '@edgefleet/test-kit/models';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcuEmulator, createMcuSession, deliverImage, openSerialPort } from '../../src/index.js';

const logger = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pty pair joined by socat (`apt-get install socat`; .ci/run installs it): two real device paths. */
async function ptyPair(): Promise<[string, string]> {
  const dir = await mkdtemp(join(tmpdir(), 'edgefleet-pty-'));
  const paths: [string, string] = [join(dir, 'gateway'), join(dir, 'mcu')];
  const socat: ChildProcess = spawn(
    'socat',
    paths.map((p) => `pty,raw,echo=0,link=${p}`),
    { stdio: 'ignore' },
  );
  cleanups.push(async () => {
    socat.kill();
    await rm(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 200; i++) {
    const ready = await Promise.all(
      paths.map((p) =>
        stat(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (ready.every(Boolean)) return paths;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('socat did not create the pty pair');
}

describe('the serialport transport on real device paths (a pty pair)', () => {
  it('links a gateway session and an emulated MCU, delivers a model and runs it on the MCU', async () => {
    const [gatewayPath, mcuPath] = await ptyPair();
    const gatewayEnd = await openSerialPort({ path: gatewayPath, baudRate: 115_200 });
    const emulator = createMcuEmulator({
      transport: await openSerialPort({ path: mcuPath, baudRate: 115_200 }),
      mcuId: 'mcu-pty',
      logger,
    });
    const session = createMcuSession({ transport: gatewayEnd, gatewayId: 'gw-1', clock: systemClock, logger });
    cleanups.push(
      () => emulator.close(),
      () => session.close(),
    );
    await session.whenUp(5000);
    const model = buildIrisMcuModel();
    const { crc } = await deliverImage(session, model.bytes, { logger, setTimer: systemClock.setTimer });
    const rows = model.testSet.features.slice(0, 3);
    const expected = runMcuModel(decodeMcuModel(model.bytes), Float32Array.from(rows.flat()), 3);
    expect((await session.infer(crc, rows)).flat()).toEqual(Array.from(expected));
  });
});
