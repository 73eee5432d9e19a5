/**
 * Forwards the outbox to the control plane (DESIGN.md §4 Telemetry): batches of records become `events` /
 * `telemetry` messages, published with QoS 1; rows are deleted only after the publish promise resolves
 * (PUBACK), so delivery is at-least-once and the control plane's (device, seq) de-duplication makes storage
 * exactly-once. A failed publish keeps the rows for the next interval. One drain runs at a time, so the same
 * rows are never published twice concurrently.
 */
import {
  type Clock,
  encodeCbor,
  eventRecordSchema,
  eventsMessageSchema,
  telemetryMessageSchema,
  telemetryRecordSchema,
} from '@edgefleet/protocol';
import type { Logger } from 'pino';
import { AgentError } from '../errors.js';
import { OUTBOX_KINDS, type Outbox, type OutboxKind } from './outbox.js';

const DEFAULTS = Object.freeze({
  /** Protocol caps records per message at 256 (messages/wire.ts). */
  maxBatchSize: 256,
  kickDelayMs: 0,
});

const RECORD_SCHEMAS = { events: eventRecordSchema, telemetry: telemetryRecordSchema } as const;
const MESSAGE_SCHEMAS = { events: eventsMessageSchema, telemetry: telemetryMessageSchema } as const;

export interface OutboxPublisherOptions {
  readonly outbox: Outbox;
  /** Resolves on PUBACK, rejects when offline or the publish fails. */
  readonly publish: (kind: OutboxKind, payload: Uint8Array) => Promise<void>;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly intervalMs: number;
  readonly logger: Logger;
}

export interface PublisherStats {
  readonly publishedRecords: number;
  readonly failedPublishes: number;
  /** Rows that did not match the protocol record schema; deleted so they cannot block the queue. */
  readonly discardedRecords: number;
}

export interface OutboxPublisher {
  /** Call when the connection comes online: drains now and then every `intervalMs`. */
  start(): void;
  /** Call when the connection goes offline: stops the timers (an in-flight publish settles on its own). */
  stop(): void;
  /** Drains soon (e.g. after an event was appended); no-op while stopped. */
  kick(): void;
  /** Publishes batches until the outbox is empty or a publish fails. Concurrent calls share one drain. */
  drain(): Promise<void>;
  stats(): PublisherStats;
}

export function createOutboxPublisher(options: OutboxPublisherOptions): OutboxPublisher {
  const { outbox, clock, logger } = options;
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > DEFAULTS.maxBatchSize) {
    throw new AgentError('INTERNAL', `batchSize must be 1..${DEFAULTS.maxBatchSize}, got ${options.batchSize}`);
  }
  let state: 'stopped' | 'running' = 'stopped';
  let draining: Promise<void> | undefined;
  let cancelInterval: (() => void) | undefined;
  let cancelKick: (() => void) | undefined;
  const stats = { publishedRecords: 0, failedPublishes: 0, discardedRecords: 0 };

  /** Publishes one batch of `kind`; returns how many rows left the outbox (0 = nothing to do). */
  async function publishBatch(kind: OutboxKind): Promise<number> {
    const entries = outbox.peek(kind, options.batchSize);
    if (entries.length === 0) return 0;
    const valid: Array<Record<string, unknown>> = [];
    const invalidSeqs: number[] = [];
    for (const entry of entries) {
      if (RECORD_SCHEMAS[kind].safeParse(entry.record).success) valid.push(entry.record);
      else invalidSeqs.push(entry.seq);
    }
    if (invalidSeqs.length > 0) {
      logger.error({ kind, seqs: invalidSeqs }, 'outbox rows do not match the protocol schema; discarding them');
      outbox.ack(invalidSeqs);
      stats.discardedRecords += invalidSeqs.length;
    }
    if (valid.length > 0) {
      const message = MESSAGE_SCHEMAS[kind].parse({ v: 1, type: kind, ts: clock.now(), records: valid });
      await options.publish(kind, encodeCbor(message));
      // Only after PUBACK: a crash before this line re-sends the rows, which (device, seq) de-duplicates.
      outbox.ack(valid.map((record) => record.seq as number));
      stats.publishedRecords += valid.length;
    }
    return entries.length;
  }

  async function drainLoop(): Promise<void> {
    try {
      let moved = 1;
      while (moved > 0) {
        moved = 0;
        for (const kind of OUTBOX_KINDS) moved += await publishBatch(kind);
      }
    } catch (error) {
      stats.failedPublishes += 1;
      logger.warn({ err: error, pending: outbox.stats().pending }, 'outbox publish failed; rows kept for retry');
    }
  }

  function drain(): Promise<void> {
    draining ??= drainLoop().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  function scheduleInterval(): void {
    cancelInterval = clock.setTimer(options.intervalMs, () => {
      cancelInterval = undefined;
      void drain().then(() => {
        if (state === 'running' && cancelInterval === undefined) scheduleInterval();
      });
    });
  }

  return {
    start() {
      if (state === 'running') return;
      state = 'running';
      scheduleInterval();
      this.kick();
    },
    stop() {
      state = 'stopped';
      cancelInterval?.();
      cancelInterval = undefined;
      cancelKick?.();
      cancelKick = undefined;
    },
    kick() {
      if (state !== 'running' || cancelKick !== undefined) return;
      cancelKick = clock.setTimer(DEFAULTS.kickDelayMs, () => {
        cancelKick = undefined;
        void drain();
      });
    },
    drain,
    stats: () => ({ ...stats }),
  };
}
