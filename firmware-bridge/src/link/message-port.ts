/**
 * Messages over the reliable link, as both ends (the gateway and the MCU emulator) use them: typed sends
 * (encoded and schema-checked, messages/messages.ts), and received frames decoded and validated at the
 * boundary. Whatever cannot be used — a garbled or oversized frame from the line, an unknown message type,
 * a payload that is not CBOR or fails its schema — is logged with the port and counted by error code, and
 * the link carries on: the frame was acknowledged, so the sender does not retry it forever.
 */
import { EventEmitter } from 'node:events';
import type { Clock, EdgefleetError } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { FRAME_DEFAULTS, maxPayloadBytes } from '../frame/frame-codec.js';
import {
  decodeMessage,
  encodeMessage,
  MESSAGE_TYPES,
  type Message,
  type MessageBody,
  type MessageName,
} from '../messages/messages.js';
import type { SerialTransport } from '../serial/serial-transport.js';
import { createReliableLink, LINK_DEFAULTS, type LinkStats, type ReliableLink } from './reliable-link.js';

type SyncName = 'hello' | 'welcome';

export interface MessagePortEvents {
  message: [Message];
  /** A handshake message; the link has resynchronised its receiver to it. */
  sync: [Message];
}

export interface MessagePort extends EventEmitter<MessagePortEvents> {
  readonly link: ReliableLink;
  send<N extends Exclude<MessageName, SyncName>>(name: N, body: MessageBody<N>): Promise<void>;
  sendSync<N extends SyncName>(name: N, body: MessageBody<N>): Promise<void>;
  /** Unusable frames and payloads by error code (line errors included). */
  rejections(): Record<string, number>;
  stats(): LinkStats;
  close(): void;
}

export function createMessagePort(options: {
  transport: SerialTransport;
  clock: Clock;
  logger: Logger;
  maxFrameBytes?: number;
  window?: number;
}): MessagePort {
  const { logger, transport } = options;
  const maxFrameBytes = options.maxFrameBytes ?? FRAME_DEFAULTS.maxFrameBytes;
  const emitter = new EventEmitter<MessagePortEvents>();
  const rejections: Record<string, number> = {};
  const link = createReliableLink({
    transport,
    clock: options.clock,
    logger,
    maxFrameBytes,
    window: options.window ?? LINK_DEFAULTS.window,
    ackType: MESSAGE_TYPES.ack,
    syncTypes: new Set([MESSAGE_TYPES.hello, MESSAGE_TYPES.welcome]),
  });

  function log(error: EdgefleetError, type?: number): void {
    logger.warn({ path: transport.path, code: error.code, type, err: error }, 'serial frame refused; link continues');
  }

  function reject(error: EdgefleetError, type: number): void {
    rejections[error.code] = (rejections[error.code] ?? 0) + 1;
    log(error, type);
  }

  function decode(frame: { type: number; payload: Uint8Array }): Message | null {
    try {
      return decodeMessage(frame.type, frame.payload, { maxMessageBytes: maxPayloadBytes(maxFrameBytes) });
    } catch (error) {
      reject(error as EdgefleetError, frame.type);
      return null;
    }
  }

  link.on('line-error', (error) => log(error)); // counted by the link
  link.on('message', (frame) => {
    const message = decode(frame);
    if (message !== null) emitter.emit('message', message);
  });
  link.on('sync', (frame) => {
    const message = decode(frame);
    if (message !== null) emitter.emit('sync', message);
  });

  return Object.assign(emitter, {
    link,
    send<N extends Exclude<MessageName, SyncName>>(name: N, body: MessageBody<N>) {
      return link.send(MESSAGE_TYPES[name], encodeMessage(name, body));
    },
    sendSync<N extends SyncName>(name: N, body: MessageBody<N>) {
      return link.sendSync(MESSAGE_TYPES[name], encodeMessage(name, body));
    },
    rejections: () => {
      const line = link.stats().errors;
      const merged: Record<string, number> = { ...rejections };
      for (const [code, n] of Object.entries(line)) merged[code] = (merged[code] ?? 0) + n;
      return merged;
    },
    stats: () => link.stats(),
    close: () => link.close(),
  });
}
