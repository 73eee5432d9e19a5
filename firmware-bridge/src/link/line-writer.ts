/**
 * The transmitting half of the serial link (reliable-link.ts): frames go to the port in order, acks ahead of
 * queued data so an ack never waits behind a long queue, at most `depth` writes in the port at once. It also
 * keeps the estimate of when the line will have carried everything queued so far — 10 bits per byte at the
 * baud rate (8N1) — because a real port's write completes when the OS takes the bytes, not when they are sent,
 * and ack deadlines must count from the latter.
 */
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { SerialTransport } from '../serial/serial-transport.js';

export interface LineWriter {
  ack(bytes: Uint8Array): void;
  /** Queues a data or handshake frame; returns when the line should have carried it (clock ms). */
  frame(bytes: Uint8Array): number;
  /** Drops queued data frames (not acks): the link was reset. */
  dropFrames(): void;
}

export function createLineWriter(options: {
  transport: SerialTransport;
  clock: Clock;
  logger: Logger;
  depth: number;
  counts: { framesOut: number; bytesOut: number };
  isOpen: () => boolean;
}): LineWriter {
  const { transport, clock, counts } = options;
  const acks: Uint8Array[] = [];
  const frames: Uint8Array[] = [];
  let writing = 0;
  let lineFreeAtMs = 0;

  function pump(): void {
    while (writing < options.depth && options.isOpen()) {
      const bytes = acks.shift() ?? frames.shift();
      if (bytes === undefined) return;
      writing++;
      counts.framesOut++;
      counts.bytesOut += bytes.length;
      transport
        .write(bytes)
        .catch((error: unknown) => options.logger.warn({ err: error, path: transport.path }, 'serial write failed'))
        .finally(() => {
          writing--;
          pump();
        });
    }
  }

  function onLine(bytes: number): number {
    lineFreeAtMs = Math.max(clock.now(), lineFreeAtMs) + (bytes * 10 * 1000) / transport.baudRate;
    return lineFreeAtMs;
  }

  return {
    ack(bytes) {
      onLine(bytes.length);
      acks.push(bytes);
      pump();
    },
    frame(bytes) {
      const doneAtMs = onLine(bytes.length);
      frames.push(bytes);
      pump();
      return doneAtMs;
    },
    dropFrames() {
      frames.length = 0;
    },
  };
}
