/**
 * The gateway's end of one serial port (DESIGN.md §6): it waits for an MCU's hello, validates it, adopts the
 * MCU's receive limits, welcomes it (which resynchronises both receivers) and is then `up`. A hello while up
 * means the MCU rebooted: whatever was unacknowledged fails with LINK_RESET and callers (a model transfer,
 * an inference) retry once it is up again. It correlates inference requests with their responses by id,
 * with a timeout, and hands readings, model acks and firmware logs to its listeners.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { BridgeError } from '../errors.js';
import { FRAME_DEFAULTS, maxEncodedBytes } from '../frame/frame-codec.js';
import { createMessagePort } from '../link/message-port.js';
import type { LinkStats } from '../link/reliable-link.js';
import type { MessageBody, MessageName } from '../messages/messages.js';
import type { SerialTransport } from '../serial/serial-transport.js';

export type Hello = MessageBody<'hello'>;
export type McuSessionState = 'waiting' | 'up' | 'down' | 'closed';

export const SESSION_DEFAULTS = Object.freeze({
  /** An inference round trip: two small frames plus the MCU's compute. */
  inferTimeoutMs: 2000,
  window: 4,
});

export interface McuSessionEvents {
  /** An MCU said hello and was welcomed; `rebooted` when the same MCU was up before. */
  hello: [Hello, { rebooted: boolean }];
  readings: [MessageBody<'readings'>];
  'model-ack': [MessageBody<'model-ack'>];
  state: [McuSessionState];
}

export interface McuSession extends EventEmitter<McuSessionEvents> {
  readonly path: string;
  readonly state: McuSessionState;
  /** The last hello (the MCU's identity, limits and flash images); null before the first. */
  readonly hello: Hello | null;
  send<N extends Exclude<MessageName, 'hello' | 'welcome'>>(name: N, body: MessageBody<N>): Promise<void>;
  /** Runs flash image `img` on the MCU; resolves with one output row per input row. */
  infer(img: number, rows: number[][]): Promise<number[][]>;
  /** Resolves when the MCU is up (now, or after its next hello); rejects LINK_TIMEOUT after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<void>;
  rejections(): Record<string, number>;
  stats(): LinkStats;
  close(): Promise<void>;
}

export function createMcuSession(options: {
  transport: SerialTransport;
  gatewayId: string;
  clock: Clock;
  logger: Logger;
  maxFrameBytes?: number;
  inferTimeoutMs?: number;
}): McuSession {
  const { transport, clock } = options;
  const maxFrameBytes = options.maxFrameBytes ?? FRAME_DEFAULTS.maxFrameBytes;
  const logger = options.logger.child({ path: transport.path });
  const emitter = new EventEmitter<McuSessionEvents>();
  const port = createMessagePort({ transport, clock, logger, maxFrameBytes, window: SESSION_DEFAULTS.window });
  const pending = new Map<number, { resolve: (rows: number[][]) => void; reject: (error: Error) => void }>();
  let state: McuSessionState = 'waiting';
  let hello: Hello | null = null;
  let nextId = 1;

  function setState(next: McuSessionState): void {
    if (state === next || state === 'closed') return;
    state = next;
    emitter.emit('state', state);
  }

  function failPending(error: BridgeError): void {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  }

  port.on('sync', (message) => {
    if (message.name !== 'hello') return;
    const body = message.body;
    // The MCU's RX buffer bounds what we send; its window bounds what we keep unacknowledged.
    if (maxEncodedBytes(body.maxFrame) > body.ramBytes) {
      logger.warn({ mcu: body.mcu }, 'hello claims buffers larger than its RAM; ignored');
      return;
    }
    const rebooted = hello?.mcu === body.mcu && state !== 'waiting';
    hello = body;
    failPending(new BridgeError('LINK_RESET', `MCU ${body.mcu} restarted the link`));
    port.link.setPeerLimits({ maxFrameBytes: body.maxFrame, window: body.window });
    port
      .sendSync('welcome', { gw: options.gatewayId, maxFrame: maxFrameBytes, window: SESSION_DEFAULTS.window })
      .catch((error: unknown) => logger.warn({ err: error }, 'welcome not sent'));
    logger.info({ mcu: body.mcu, fw: body.fw, board: body.board, rebooted }, 'MCU linked');
    setState('up');
    emitter.emit('hello', body, { rebooted });
  });
  port.on('message', (message) => {
    if (message.name === 'infer-res') {
      const waiter = pending.get(message.body.id);
      if (waiter === undefined) return;
      pending.delete(message.body.id);
      const { outputs, error } = message.body;
      if (outputs !== undefined) waiter.resolve(outputs);
      else waiter.reject(new BridgeError('MCU_REFUSED', `MCU inference failed: ${error ?? 'no outputs'}`));
    } else if (message.name === 'readings') emitter.emit('readings', message.body);
    else if (message.name === 'model-ack') emitter.emit('model-ack', message.body);
    else if (message.name === 'log') {
      const { level, msg } = message.body;
      logger[level]({ mcu: hello?.mcu, firmware: true }, msg);
    } else logger.warn({ name: message.name }, 'message a gateway does not expect; ignored');
  });
  port.link.on('state', (linkState) => {
    if (linkState !== 'down') return;
    failPending(new BridgeError('LINK_TIMEOUT', `MCU on ${transport.path} stopped acknowledging`));
    setState('down');
  });

  Object.defineProperties(emitter, {
    path: { value: transport.path, enumerable: true },
    state: { get: () => state, enumerable: true },
    hello: { get: () => hello, enumerable: true },
  });
  const session = Object.assign(emitter, {
    send<N extends Exclude<MessageName, 'hello' | 'welcome'>>(name: N, body: MessageBody<N>) {
      return port.send(name, body);
    },
    infer(img: number, rows: number[][]) {
      const id = nextId;
      nextId = (nextId % 0xffff_fffe) + 1;
      return new Promise<number[][]>((resolve, reject) => {
        const cancel = clock.setTimer(options.inferTimeoutMs ?? SESSION_DEFAULTS.inferTimeoutMs, () => {
          pending.delete(id);
          reject(new BridgeError('LINK_TIMEOUT', `no inference response from the MCU on ${transport.path}`));
        });
        const settle =
          <T>(fn: (value: T) => void) =>
          (value: T) => {
            cancel();
            fn(value);
          };
        pending.set(id, { resolve: settle(resolve), reject: settle(reject) });
        port.send('infer-req', { id, img, rows }).catch((error: unknown) => {
          pending.delete(id);
          settle(reject)(error as Error);
        });
      });
    },
    whenUp(timeoutMs: number) {
      if (state === 'up') return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onState = (next: McuSessionState) => {
          if (next !== 'up' && next !== 'closed') return;
          cancel();
          emitter.off('state', onState);
          if (next === 'up') resolve();
          else reject(new BridgeError('LINK_RESET', 'session closed'));
        };
        const cancel = clock.setTimer(timeoutMs, () => {
          emitter.off('state', onState);
          reject(new BridgeError('LINK_TIMEOUT', `no MCU came up on ${transport.path} in ${timeoutMs} ms`));
        });
        emitter.on('state', onState);
      });
    },
    rejections: () => port.rejections(),
    stats: () => port.stats(),
    async close() {
      failPending(new BridgeError('LINK_RESET', 'session closed'));
      setState('closed');
      state = 'closed';
      port.close();
      await transport.close();
    },
  });
  return session as McuSession;
}
