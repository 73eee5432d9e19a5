/**
 * The reliable link's public surface (reliable-link.ts): its counters, events, handle and options. Kept apart
 * from the implementation so the contract reads on one page.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { BridgeError } from '../errors.js';
import type { Frame } from '../frame/frame-codec.js';
import type { SerialTransport } from '../serial/serial-transport.js';
import type { LinkState } from './link-state.js';

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
