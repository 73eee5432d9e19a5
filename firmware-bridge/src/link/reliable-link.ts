/**
 * Reliable, in-order, exactly-once delivery over a lossy serial line (DESIGN.md §6): selective-repeat ARQ
 * (Tanenbaum, Computer Networks §3.4.3). Every data frame carries a 16-bit sequence number; the receiver
 * acknowledges each frame it accepts (an `ack` frame echoing the seq), delivers in order, buffers frames up to
 * `window` ahead (reordering after a retransmission), re-acknowledges duplicates (the ack was lost) and drops
 * anything else. The sender keeps at most the peer's window unacknowledged and retransmits a frame when its
 * ack is late; after `maxRetries` the link is `down` and every pending message fails with LINK_TIMEOUT.
 * Handshake frames (hello / welcome) are never acknowledged: receiving one resynchronises the receiver to
 * the peer's sequence (the peer booted), sending one resets our sender (pending messages fail LINK_RESET).
 *
 * Timing: a frame's ack deadline is when the line will have carried it (an estimate from the baud rate at
 * 10 bits per byte, since a real port's write completes when the OS takes the bytes, not when they are sent)
 * plus `ackTimeoutMs`, which covers the peer finishing two maximum frames of its own before its ack.
 * Writes are kept at most two deep in the port, acks first, so an ack never waits behind a long queue.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { BridgeError } from '../errors.js';
import { createDeframer } from '../frame/deframer.js';
import { encodeFrame, type Frame } from '../frame/frame-codec.js';
import type { SerialTransport } from '../serial/serial-transport.js';
import { type LinkState, transitionLink } from './link-state.js';

export const LINK_DEFAULTS = Object.freeze({
  window: 4,
  maxRetries: 8,
  /** Added to two maximum frame times of the peer: its processing before the ack goes out. */
  ackMarginMs: 50,
  /** Port writes in flight at once. */
  txDepth: 2,
});

export interface LinkStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  delivered: number;
  retransmits: number;
  duplicates: number;
  reordered: number;
  outOfWindow: number;
  /** Data frames before any handshake: the peer's numbering is unknown, so they are dropped unacked. */
  unsynced: number;
  strayAcks: number;
  /** Line errors by code: FRAME_CORRUPT, MESSAGE_TOO_LARGE. */
  errors: Record<string, number>;
}

export interface LinkEvents {
  /** A data frame, in order, exactly once. */
  message: [Frame];
  /** A handshake frame (after the receiver resynchronised to it). */
  sync: [Frame];
  /** A frame the line garbled or that was too large: already counted; for the caller's log. */
  'line-error': [BridgeError];
  state: [LinkState];
}

export interface ReliableLink extends EventEmitter<LinkEvents> {
  readonly state: LinkState;
  /** Queues a data frame; resolves once acknowledged. Rejects LINK_RESET, LINK_TIMEOUT or MESSAGE_TOO_LARGE. */
  send(type: number, payload: Uint8Array): Promise<void>;
  /** Sends a handshake frame now (unacknowledged) after resetting the sender. */
  sendSync(type: number, payload: Uint8Array): Promise<void>;
  /** What the peer said it accepts (its hello / welcome). */
  setPeerLimits(limits: { maxFrameBytes: number; window: number }): void;
  stats(): LinkStats;
  /** Stops listening and fails what is pending (LINK_RESET); the transport stays open (its owner closes it). */
  close(): void;
}

export interface ReliableLinkOptions {
  readonly transport: SerialTransport;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Largest frame we accept (our RX buffer). */
  readonly maxFrameBytes: number;
  /** Frames we buffer ahead of the next expected one. */
  readonly window?: number;
  readonly maxRetries?: number;
  readonly ackMarginMs?: number;
  readonly ackType: number;
  readonly syncTypes: ReadonlySet<number>;
}

interface Pending {
  readonly type: number;
  readonly payload: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface InFlight extends Pending {
  readonly bytes: Uint8Array;
  attempts: number;
  deadlineMs: number;
}

const SEQ_SPACE = 0x10000;
const seqAdd = (seq: number, n: number) => (seq + n) % SEQ_SPACE;
const seqDiff = (a: number, b: number) => (a - b + SEQ_SPACE) % SEQ_SPACE;

export function createReliableLink(options: ReliableLinkOptions): ReliableLink {
  const { transport, clock, logger } = options;
  const window = options.window ?? LINK_DEFAULTS.window;
  const maxRetries = options.maxRetries ?? LINK_DEFAULTS.maxRetries;
  const emitter = new EventEmitter<LinkEvents>();
  const stats: LinkStats = {
    framesIn: 0,
    framesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    delivered: 0,
    retransmits: 0,
    duplicates: 0,
    reordered: 0,
    outOfWindow: 0,
    unsynced: 0,
    strayAcks: 0,
    errors: {},
  };
  let state: LinkState = 'unsynced';
  let peer = { maxFrameBytes: options.maxFrameBytes, window };
  let nextSeq = 0;
  const queue: Pending[] = [];
  const inFlight = new Map<number, InFlight>();
  let rxNext = 0;
  const reorder = new Map<number, Frame>();
  let cancelTimer: (() => void) | null = null;
  let lineFreeAtMs = 0;
  const acks: Uint8Array[] = [];
  const frames: Uint8Array[] = [];
  let writing = 0;

  const frameTimeMs = (bytes: number) => (bytes * 10 * 1000) / transport.baudRate;
  // The peer may be sending up to two of its largest frames (bounded by our RX limit) before our ack.
  const ackTimeoutMs = () =>
    (options.ackMarginMs ?? LINK_DEFAULTS.ackMarginMs) + 2 * frameTimeMs(options.maxFrameBytes);

  function setState(next: LinkState): void {
    state = transitionLink(state, next);
    emitter.emit('state', state);
  }

  function countError(error: BridgeError): void {
    stats.errors[error.code] = (stats.errors[error.code] ?? 0) + 1;
    emitter.emit('line-error', error);
  }

  // --- transmit scheduling: acks first, at most txDepth writes in the port -------------------------------
  function pumpWrites(): void {
    while (writing < LINK_DEFAULTS.txDepth && state !== 'closed') {
      const bytes = acks.shift() ?? frames.shift();
      if (bytes === undefined) return;
      writing++;
      stats.framesOut++;
      stats.bytesOut += bytes.length;
      transport
        .write(bytes)
        .catch((error: unknown) => logger.warn({ err: error, path: transport.path }, 'serial write failed'))
        .finally(() => {
          writing--;
          pumpWrites();
        });
    }
  }

  /** Estimated time the line finishes carrying `bytes` queued now. */
  function scheduleOnLine(bytes: number): number {
    const now = clock.now();
    lineFreeAtMs = Math.max(now, lineFreeAtMs) + frameTimeMs(bytes);
    return lineFreeAtMs;
  }

  // --- sender ------------------------------------------------------------------------------------------------
  function transmit(entry: InFlight): void {
    entry.deadlineMs = scheduleOnLine(entry.bytes.length) + ackTimeoutMs();
    frames.push(entry.bytes);
    pumpWrites();
    armTimer();
  }

  function pumpSends(): void {
    while (state === 'up' && inFlight.size < peer.window && queue.length > 0) {
      const next = queue.shift() as Pending;
      const seq = nextSeq;
      let bytes: Uint8Array;
      try {
        bytes = encodeFrame({ type: next.type, seq, payload: next.payload }, peer.maxFrameBytes);
      } catch (error) {
        next.reject(error as Error);
        continue;
      }
      nextSeq = seqAdd(nextSeq, 1);
      const entry: InFlight = { ...next, bytes, attempts: 0, deadlineMs: 0 };
      inFlight.set(seq, entry);
      transmit(entry);
    }
  }

  function armTimer(): void {
    cancelTimer?.();
    cancelTimer = null;
    let earliest = Number.POSITIVE_INFINITY;
    for (const entry of inFlight.values()) earliest = Math.min(earliest, entry.deadlineMs);
    if (earliest === Number.POSITIVE_INFINITY) return;
    cancelTimer = clock.setTimer(Math.max(0, earliest - clock.now()), onTimer);
  }

  function onTimer(): void {
    cancelTimer = null;
    const now = clock.now();
    for (const [seq, entry] of inFlight) {
      if (entry.deadlineMs > now) continue;
      if (entry.attempts >= maxRetries) {
        logger.warn({ path: transport.path, seq, attempts: entry.attempts + 1 }, 'serial peer stopped acknowledging');
        failAll(new BridgeError('LINK_TIMEOUT', `frame ${seq} unacknowledged after ${entry.attempts + 1} sends`));
        setState('down');
        return;
      }
      entry.attempts++;
      stats.retransmits++;
      transmit(entry);
    }
    armTimer();
  }

  function failAll(error: BridgeError): void {
    for (const entry of [...inFlight.values(), ...queue.splice(0)]) entry.reject(error);
    inFlight.clear();
    frames.length = 0;
    cancelTimer?.();
    cancelTimer = null;
  }

  function onAck(seq: number): void {
    const entry = inFlight.get(seq);
    if (entry === undefined) {
      stats.strayAcks++;
      return;
    }
    inFlight.delete(seq);
    entry.resolve();
    pumpSends();
    armTimer();
  }

  // --- receiver ----------------------------------------------------------------------------------------------
  function sendAck(seq: number): void {
    acks.push(encodeFrame({ type: options.ackType, seq, payload: new Uint8Array(0) }, peer.maxFrameBytes));
    pumpWrites();
  }

  function deliver(frame: Frame): void {
    stats.delivered++;
    try {
      emitter.emit('message', frame);
    } catch (error) {
      logger.error({ err: error, type: frame.type }, 'serial message handler threw; the link continues');
    }
  }

  function onData(frame: Frame): void {
    if (state === 'unsynced' || state === 'down') {
      stats.unsynced++;
      return;
    }
    const ahead = seqDiff(frame.seq, rxNext);
    if (ahead === 0) {
      sendAck(frame.seq);
      rxNext = seqAdd(rxNext, 1);
      deliver(frame);
      for (let next = reorder.get(rxNext); next !== undefined; next = reorder.get(rxNext)) {
        reorder.delete(rxNext);
        rxNext = seqAdd(rxNext, 1);
        deliver(next);
      }
    } else if (ahead < window) {
      sendAck(frame.seq);
      if (!reorder.has(frame.seq)) {
        stats.reordered++;
        reorder.set(frame.seq, frame);
      } else stats.duplicates++;
    } else if (ahead >= SEQ_SPACE - window) {
      stats.duplicates++;
      sendAck(frame.seq);
    } else {
      stats.outOfWindow++;
    }
  }

  const deframer = createDeframer({
    maxFrameBytes: options.maxFrameBytes,
    onFrame(frame) {
      if (state === 'closed') return;
      stats.framesIn++;
      if (frame.type === options.ackType) return onAck(frame.seq);
      if (options.syncTypes.has(frame.type)) {
        rxNext = seqAdd(frame.seq, 1);
        reorder.clear();
        setState('up');
        emitter.emit('sync', frame);
        return;
      }
      onData(frame);
    },
    onError: countError,
  });
  const stopListening = transport.onData((chunk) => {
    stats.bytesIn += chunk.length;
    deframer.push(chunk);
  });

  Object.defineProperty(emitter, 'state', { get: () => state, enumerable: true });
  const link = Object.assign(emitter, {
    send(type: number, payload: Uint8Array) {
      if (state !== 'up') {
        return Promise.reject(new BridgeError('LINK_RESET', `serial link is ${state}`, { details: { type } }));
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ type, payload, resolve, reject });
        pumpSends();
      });
    },
    async sendSync(type: number, payload: Uint8Array) {
      failAll(new BridgeError('LINK_RESET', 'the link was resynchronised; unacknowledged messages dropped'));
      const bytes = encodeFrame({ type, seq: nextSeq, payload }, peer.maxFrameBytes);
      nextSeq = seqAdd(nextSeq, 1);
      scheduleOnLine(bytes.length);
      frames.push(bytes);
      pumpWrites();
    },
    setPeerLimits(limits: { maxFrameBytes: number; window: number }) {
      peer = { ...limits };
      pumpSends();
    },
    stats: () => ({ ...stats, errors: { ...stats.errors } }),
    close() {
      if (state === 'closed') return;
      failAll(new BridgeError('LINK_RESET', 'serial link closed'));
      setState('closed');
      stopListening();
    },
  });
  return link as ReliableLink;
}
