/**
 * An MCU emulator that behaves like the firmware (DESIGN.md §6), on any SerialTransport: a fixed RAM budget
 * (the link's RX and reorder buffers plus the model's activation arena must fit, or the model is refused),
 * A/B flash slots with resumable, CRC-checked staging (flash.ts), an optional on-MCU int8 model run with
 * the protocol's reference arithmetic, periodic sensor readings, and fault modes: bit flips and dropped
 * bytes on the line (line-faults.ts), and a reboot once a transfer has written a given number of bytes —
 * RAM state (link, timers) is lost, flash is kept. It boots, says hello until welcomed, then serves.
 */
import { type Clock, systemClock } from '@edgefleet/protocol';
import { type Logger, pino } from 'pino';
import { BridgeError } from '../errors.js';
import { maxEncodedBytes } from '../frame/frame-codec.js';
import { createMessagePort, type MessagePort } from '../link/message-port.js';
import type { Message, MessageBody } from '../messages/messages.js';
import { type LineFaultOptions, withLineFaults } from '../serial/line-faults.js';
import type { SerialTransport } from '../serial/serial-transport.js';
import { createFirmwareModel } from './firmware-model.js';
import { createFlash, type EmulatedFlash } from './flash.js';

export const EMULATOR_DEFAULTS = Object.freeze({
  firmwareVersion: '1.0.0',
  board: 'emu-m4',
  arch: 'cortex-m4',
  ramBytes: 16 * 1024,
  flashBytes: 128 * 1024,
  maxFrameBytes: 600,
  window: 4,
  helloIntervalMs: 250,
  rebootMs: 100,
});

/** `reset`: held in reset (power-on, or a reboot for `rebootMs`); RAM state is gone, flash is kept. */
export type McuState = 'reset' | 'booting' | 'linking' | 'running' | 'off';

const MOVES: Readonly<Record<McuState, readonly McuState[]>> = Object.freeze({
  reset: ['booting', 'off'],
  booting: ['linking', 'off'],
  linking: ['running', 'reset', 'off'],
  running: ['linking', 'reset', 'off'],
  off: [],
});

export interface McuEmulatorOptions {
  readonly transport: SerialTransport;
  readonly mcuId: string;
  readonly firmwareVersion?: string;
  /** Reported as the child's hardware profile: rollouts select MCUs by it. */
  readonly board?: string;
  readonly arch?: string;
  readonly ramBytes?: number;
  readonly flashBytes?: number;
  readonly maxFrameBytes?: number;
  readonly window?: number;
  /** Runs delivered int8 models itself (default true); false: the gateway infers on its behalf. */
  readonly ownModel?: boolean;
  /** Sends `rows` one at a time, every `intervalMs`, cycling. */
  readonly readings?: {
    readonly rows: readonly (readonly number[])[];
    readonly intervalMs: number;
    readonly line?: string;
  };
  readonly faults?: LineFaultOptions & { readonly rebootAtModelBytes?: number; readonly rebootMs?: number };
  readonly helloIntervalMs?: number;
  /** Flash that outlives this emulator instance (a power cycle); default fresh. */
  readonly flash?: EmulatedFlash;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export interface McuEmulatorStats {
  reboots: number;
  /** Offsets at which an offered image resumed (> 0: a transfer picked up where it stopped). */
  resumedAt: number[];
  imagesCommitted: number;
  modelsRefused: number;
  inferences: number;
  readingsSent: number;
  /** Readings the gateway answered with outputs (from the MCU's model or the gateway's). */
  readingsAnswered: number;
}

export interface McuEmulator {
  readonly state: McuState;
  readonly flash: EmulatedFlash;
  stats(): McuEmulatorStats;
  /** Link-level counters of the current boot and the frames it refused. */
  link(): { rejections: Record<string, number>; retransmits: number };
  reboot(): Promise<void>;
  close(): Promise<void>;
}

export function createMcuEmulator(options: McuEmulatorOptions): McuEmulator {
  const settings = { ...EMULATOR_DEFAULTS, ...definedOnly(options) };
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? pino({ level: process.env.EDGEFLEET_LOG_LEVEL ?? 'info' })).child({
    mcu: options.mcuId,
  });
  const ownModel = options.ownModel ?? true;
  const transport =
    options.faults === undefined ? options.transport : withLineFaults(options.transport, options.faults);
  const linkRamBytes = maxEncodedBytes(settings.maxFrameBytes) + settings.window * settings.maxFrameBytes;
  if (linkRamBytes > settings.ramBytes) {
    throw new BridgeError('BODY_INVALID', `link buffers need ${linkRamBytes} B, RAM budget is ${settings.ramBytes} B`);
  }
  const flash = options.flash ?? createFlash(settings.flashBytes);
  const stats: McuEmulatorStats = {
    reboots: 0,
    resumedAt: [],
    imagesCommitted: 0,
    modelsRefused: 0,
    inferences: 0,
    readingsSent: 0,
    readingsAnswered: 0,
  };
  let state: McuState = 'reset';
  let port: MessagePort | null = null;
  let cancelTimer: (() => void) | null = null;
  let readingIndex = 0;
  let rebootAt = options.faults?.rebootAtModelBytes;
  const firmware = createFirmwareModel({
    flash,
    ownModel,
    arenaBudgetBytes: settings.ramBytes - linkRamBytes,
    stats,
    log: (msg) => send('log', { level: 'warn', msg }),
    powerFailsAt(have) {
      if (rebootAt === undefined || have < rebootAt) return false;
      rebootAt = undefined; // once: a power glitch after the flash write, before the ack
      void reboot();
      return true;
    },
  });

  function move(next: McuState): void {
    if (!MOVES[state].includes(next)) {
      throw new BridgeError('INVALID_TRANSITION', `MCU cannot go from ${state} to ${next}`, {
        details: { state, next },
      });
    }
    state = next;
  }

  function every(ms: number, fn: () => void): void {
    cancelTimer?.();
    const loop = () => {
      fn();
      cancelTimer = clock.setTimer(ms, loop);
    };
    loop();
  }

  function send<N extends Exclude<Message['name'], 'hello' | 'welcome'>>(name: N, body: MessageBody<N>): void {
    port?.send(name, body).catch((error: unknown) => logger.debug({ err: error, name }, 'send failed (link reset)'));
  }

  function hello(): MessageBody<'hello'> {
    const images = flash.slots.flatMap((image) =>
      image === null ? [] : [{ crc: image.crc, size: image.bytes.length }],
    );
    const { staging } = flash;
    return {
      mcu: options.mcuId,
      fw: settings.firmwareVersion,
      board: settings.board,
      arch: settings.arch,
      ramBytes: settings.ramBytes,
      flashBytes: flash.sizeBytes,
      maxFrame: settings.maxFrameBytes,
      window: settings.window,
      ownModel,
      images,
      staged: staging === null ? null : { crc: staging.crc, size: staging.size, have: staging.have },
    };
  }

  function link(): void {
    move('linking');
    every(settings.helloIntervalMs, () => {
      port?.sendSync('hello', hello()).catch((error: unknown) => logger.debug({ err: error }, 'hello not sent'));
    });
  }

  function boot(): void {
    move('booting');
    port = createMessagePort({
      transport,
      clock,
      logger,
      maxFrameBytes: settings.maxFrameBytes,
      window: settings.window,
    });
    port.on('sync', (message) => {
      if (message.name !== 'welcome' || state !== 'linking') return;
      port?.link.setPeerLimits({ maxFrameBytes: message.body.maxFrame, window: message.body.window });
      move('running');
      cancelTimer?.();
      cancelTimer = null;
      const { readings } = options;
      if (readings !== undefined && readings.rows.length > 0) every(readings.intervalMs, sendReading);
    });
    port.on('message', onMessage);
    port.link.on('state', (linkState) => {
      if (linkState === 'down' && state === 'running') link();
    });
    link();
  }

  function sendReading(): void {
    const { readings } = options;
    if (readings === undefined) return;
    const row = readings.rows[readingIndex++ % readings.rows.length] as readonly number[];
    stats.readingsSent++;
    send('readings', {
      id: readingIndex,
      rows: [[...row]],
      ...(readings.line === undefined ? {} : { line: readings.line }),
    });
  }

  function onMessage(message: Message): void {
    if (message.name === 'model-offer') send('model-ack', firmware.offer(message.body));
    else if (message.name === 'model-chunk') {
      const ack = firmware.chunk(message.body);
      if (ack !== null) send('model-ack', ack);
    } else if (message.name === 'infer-req') send('infer-res', firmware.infer(message.body));
    else if (message.name === 'infer-res') {
      if (message.body.outputs !== undefined) stats.readingsAnswered++;
    } else logger.warn({ name: message.name }, 'message the firmware does not expect; ignored');
  }

  function halt(): void {
    cancelTimer?.();
    cancelTimer = null;
    port?.close();
    port = null;
  }

  async function reboot(): Promise<void> {
    if (state === 'off' || state === 'reset') return;
    move('reset');
    halt();
    stats.reboots++;
    logger.info({ reboots: stats.reboots }, 'MCU rebooting');
    await new Promise<void>((resolve) => clock.setTimer(options.faults?.rebootMs ?? settings.rebootMs, resolve));
    // close() may have switched the MCU off meanwhile (TS narrows `state` across the await; it can change).
    if ((state as McuState) === 'reset') boot();
  }

  boot();
  return {
    get state() {
      return state;
    },
    flash,
    stats: () => ({ ...stats, resumedAt: [...stats.resumedAt] }),
    link: () => ({ rejections: port?.rejections() ?? {}, retransmits: port?.stats().retransmits ?? 0 }),
    reboot,
    async close() {
      if (state === 'off') return;
      move('off');
      halt();
      await transport.close();
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
