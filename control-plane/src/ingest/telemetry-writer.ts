/**
 * Write-behind buffer for inference telemetry windows, the ingest hot path (its rate is benchmarked):
 * windows are queued in memory and written as one multi-row INSERT … ON CONFLICT DO NOTHING per `maxRows`
 * rows or at the end of the current event-loop turn (setImmediate), whichever comes first, instead of one
 * statement per window. Not a real-time delay: the fleet simulator drives time through the event loop, and a
 * wall-clock flush would land at a different virtual time in each run (its determinism test caught that). The unique
 * (device, seq) index still stores every window exactly once — redeliveries, also inside one batch, are
 * skipped by the conflict clause in both dialects. Flushes run one after another; `flush()` resolves once
 * everything queued before it is stored (ingest drain and control-plane close wait for it), and each
 * `add()` resolves when its own batch is committed — the embedded broker acknowledges the device's publish
 * only then. A failed batch is logged and counted (INTERNAL) with its size and rejects its rows' promises:
 * their publishes are never acknowledged, so the agent's outbox sends them again.
 */
import type { Logger } from 'pino';
import type { Database, Tables } from '../db/database.js';
import type { Metrics } from '../metrics.js';

export type TelemetryRow = Tables['telemetryWindows']['$inferInsert'];

export interface TelemetryWriter {
  /** Queues the row; resolves once its batch is committed, rejects when the batch could not be stored. */
  add(row: TelemetryRow): Promise<void>;
  /** Resolves when every row added so far is stored (or its batch failed and was logged). */
  flush(): Promise<void>;
}

interface Settle {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function settleLater(): Settle {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  // A batch nobody waits for (every caller already gone) must not become an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export const TELEMETRY_WRITER_DEFAULTS = Object.freeze({ maxRows: 500 });

export function createTelemetryWriter(options: {
  database: Database;
  logger: Logger;
  metrics: Metrics;
  maxRows?: number;
}): TelemetryWriter {
  const { database, logger, metrics } = options;
  const maxRows = options.maxRows ?? TELEMETRY_WRITER_DEFAULTS.maxRows;
  let buffer: TelemetryRow[] = [];
  /** Settles with the current buffer's batch: what add() hands out until the buffer is flushed. */
  let batch = settleLater();
  let timer: NodeJS.Immediate | null = null;
  let written: Promise<void> = Promise.resolve();

  const write = async (rows: TelemetryRow[], settle: Settle) => {
    try {
      await database.db.insert(database.tables.telemetryWindows).values(rows).onConflictDoNothing();
      settle.resolve();
    } catch (error) {
      metrics.countRejection('INTERNAL');
      const devices = [...new Set(rows.map((r) => r.deviceId))].slice(0, 10);
      logger.error({ err: error, rows: rows.length, devices }, 'telemetry batch not stored');
      settle.reject(error);
    }
  };
  const flush = (): Promise<void> => {
    if (timer !== null) clearImmediate(timer);
    timer = null;
    if (buffer.length > 0) {
      const rows = buffer;
      const settle = batch;
      buffer = [];
      batch = settleLater();
      written = written.then(() => write(rows, settle));
    }
    return written;
  };

  return {
    add(row) {
      buffer.push(row);
      const stored = batch.promise;
      if (buffer.length >= maxRows) void flush();
      else timer ??= setImmediate(flush);
      return stored;
    },
    flush,
  };
}
