/**
 * The `edgefleet-mcu-emu` command: one emulated MCU on a serial device path (e.g. one end of a
 * `socat pty,raw,echo=0 pty,raw,echo=0` pair, the gateway on the other), behaving like firmware: RAM and
 * flash budgets, an optional on-MCU int8 model, readings from a JSON file, and fault modes. Flash lives in
 * this process only (a restart of the command is a new board). Stops on SIGINT/SIGTERM; exit code 2 on bad
 * usage.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { z } from 'zod';
import { createMcuEmulator, EMULATOR_DEFAULTS } from '../emulator/mcu-emulator.js';
import { openSerialPort } from '../serial/serial-transport.js';

const USAGE = `usage: edgefleet-mcu-emu --port <path> --id <mcu-id> [options]

  --port <path>                 serial device (a pty end, /dev/ttyUSB0, ...)
  --baud <n>                    baud rate (default 115200)
  --id <mcu-id>                 the MCU's id; its child device is {gateway}--{id}
  --board <name>                hardware profile rollouts select by (default ${EMULATOR_DEFAULTS.board})
  --ram <bytes> --flash <bytes> budgets (default ${EMULATOR_DEFAULTS.ramBytes} / ${EMULATOR_DEFAULTS.flashBytes})
  --no-own-model                the gateway infers on this MCU's behalf
  --readings <rows.json>        a JSON array of feature rows, sent one by one
  --interval-ms <n>             readings period (default 1000)
  --bit-flip-rate <p> --drop-rate <p>   line faults per byte (default 0)
  --reboot-at-model-bytes <n>   reboot once when a transfer has written n bytes
`;

const number = (flag: string, value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${flag} must be a non-negative number`);
  return parsed;
};

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        port: { type: 'string' },
        baud: { type: 'string' },
        id: { type: 'string' },
        board: { type: 'string' },
        ram: { type: 'string' },
        flash: { type: 'string' },
        'no-own-model': { type: 'boolean' },
        readings: { type: 'string' },
        'interval-ms': { type: 'string' },
        'bit-flip-rate': { type: 'string' },
        'drop-rate': { type: 'string' },
        'reboot-at-model-bytes': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    if (typeof values.port !== 'string' || typeof values.id !== 'string')
      throw new Error('--port and --id are required');
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
  const logger = pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' });
  try {
    const rows =
      str('readings') === undefined
        ? undefined
        : z
            .array(z.array(z.number()).min(1))
            .min(1)
            .parse(JSON.parse(await readFile(str('readings') as string, 'utf8')));
    const rebootAt = str('reboot-at-model-bytes');
    const transport = await openSerialPort({
      path: str('port') as string,
      baudRate: number('baud', str('baud'), 115_200),
    });
    const emulator = createMcuEmulator({
      transport,
      mcuId: str('id') as string,
      ...(str('board') === undefined ? {} : { board: str('board') as string }),
      ramBytes: number('ram', str('ram'), EMULATOR_DEFAULTS.ramBytes),
      flashBytes: number('flash', str('flash'), EMULATOR_DEFAULTS.flashBytes),
      ownModel: values['no-own-model'] !== true,
      ...(rows === undefined
        ? {}
        : { readings: { rows, intervalMs: number('interval-ms', str('interval-ms'), 1000) } }),
      faults: {
        bitFlipRate: number('bit-flip-rate', str('bit-flip-rate'), 0),
        dropRate: number('drop-rate', str('drop-rate'), 0),
        ...(rebootAt === undefined ? {} : { rebootAtModelBytes: number('reboot-at-model-bytes', rebootAt, 0) }),
      },
      logger,
    });
    logger.info({ port: transport.path, mcu: str('id') }, 'MCU emulator running');
    await new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });
    logger.info({ stats: emulator.stats() }, 'MCU emulator stopping');
    await emulator.close();
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, 'MCU emulator failed');
    return 2;
  }
}

process.exitCode = await main();
