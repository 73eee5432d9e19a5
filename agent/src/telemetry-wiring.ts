/**
 * Connects the telemetry parts for one agent: latency samples → per-window summaries → the SQLite outbox
 * ('telemetry', as are drift windows), agent events → the outbox ('events'), and the publisher that drains it over MQTT while
 * online. Kept apart from agent.ts so the composition root stays readable.
 */
import { join } from 'node:path';
import type { Clock, EventRecord } from '@edgefleet/protocol';
import type { Logger } from 'pino';
import type { TelemetryOptions } from './config.js';
import { createLatencyWindows, type LatencyWindows } from './telemetry/latency-window.js';
import { createMemoryOutbox } from './telemetry/memory-outbox.js';
import { createOutbox, type OutboxKind } from './telemetry/outbox.js';
import { createOutboxPublisher, type OutboxPublisher } from './telemetry/publisher.js';

export type EventInput = Omit<EventRecord, 'seq' | 'at'>;

export interface AgentTelemetry {
  readonly windows: LatencyWindows;
  appendEvent(event: EventInput): void;
  /** Queues a telemetry record other than a latency window (a drift sketch); the outbox assigns its seq. */
  appendTelemetry(record: object): void;
  startPublisher(publish: (kind: OutboxKind, payload: Uint8Array) => Promise<void>): OutboxPublisher;
  outboxStats(): { pending: number; dropped: number };
  close(): void;
}

export function createAgentTelemetry(options: {
  stateDir: string;
  /** 'memory': the outbox in process memory (AgentOptions.queueStorage). */
  storage: 'file' | 'memory';
  clock: Clock;
  logger: Logger;
  settings: TelemetryOptions;
}): AgentTelemetry {
  const { clock, logger, settings } = options;
  const bounds = { maxRows: settings.maxQueueRows, maxBytes: settings.maxQueueBytes };
  const outbox =
    options.storage === 'memory'
      ? createMemoryOutbox(bounds)
      : createOutbox({ path: join(options.stateDir, 'outbox.sqlite'), ...bounds });
  const windows = createLatencyWindows({
    clock,
    windowMs: settings.windowMs,
    logger,
    onWindow: (window) => {
      outbox.append('telemetry', window);
    },
  });
  return {
    windows,
    appendEvent(event) {
      outbox.append('events', { ...event, at: clock.now() });
    },
    appendTelemetry(record) {
      outbox.append('telemetry', record);
    },
    startPublisher: (publish) =>
      createOutboxPublisher({
        outbox,
        publish,
        clock,
        batchSize: settings.batchSize,
        intervalMs: settings.flushIntervalMs,
        logger,
      }),
    outboxStats() {
      const { pending, dropped } = outbox.stats();
      return { pending, dropped };
    },
    close: () => outbox.close(),
  };
}
