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
import { BridgeError } from '../errors.js';
import { createDeframer } from '../frame/deframer.js';
import { encodeFrame, type Frame } from '../frame/frame-codec.js';
import { createLineWriter } from './line-writer.js';
import { type LinkState, transitionLink } from './link-state.js';
import type { LinkEvents, LinkStats, ReliableLink, ReliableLinkOptions } from './link-types.js';
import { createReceiveWindow, seqAdd } from './receive-window.js';

export type { LinkEvents, LinkStats, ReliableLink, ReliableLinkOptions } from './link-types.js';

export const LINK_DEFAULTS = Object.freeze({
  window: 4,
  maxRetries: 8,
  /** Added to two maximum frame times of the peer: its processing before the ack goes out. */
  ackMarginMs: 50,
  /** Port writes in flight at once. */
  txDepth: 2,
});

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
  const receiver = createReceiveWindow(window, stats);
  let cancelTimer: (() => void) | null = null;
  const writer = createLineWriter({
    transport,
    clock,
    logger,
    depth: LINK_DEFAULTS.txDepth,
    counts: stats,
    isOpen: () => state !== 'closed',
  });

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

  // --- sender ------------------------------------------------------------------------------------------------
  function transmit(entry: InFlight): void {
    entry.deadlineMs = writer.frame(entry.bytes) + ackTimeoutMs();
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
    writer.dropFrames();
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
    const { ack, deliver: ready } = receiver.accept(frame);
    if (ack)
      writer.ack(
        encodeFrame({ type: options.ackType, seq: frame.seq, payload: new Uint8Array(0) }, peer.maxFrameBytes),
      );
    for (const next of ready) deliver(next);
  }

  const deframer = createDeframer({
    maxFrameBytes: options.maxFrameBytes,
    onFrame(frame) {
      if (state === 'closed') return;
      stats.framesIn++;
      if (frame.type === options.ackType) return onAck(frame.seq);
      if (options.syncTypes.has(frame.type)) {
        receiver.resync(frame.seq);
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
      writer.frame(encodeFrame({ type, seq: nextSeq, payload }, peer.maxFrameBytes));
      nextSeq = seqAdd(nextSeq, 1);
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
