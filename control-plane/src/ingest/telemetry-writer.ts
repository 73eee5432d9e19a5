/**
 * Write-behind buffer for inference telemetry windows, the ingest hot path (issue 9 measures its rate):
 * windows are queued in memory and written as one multi-row INSERT … ON CONFLICT DO NOTHING per `maxRows`
 * rows or at the end of the current event-loop turn (setImmediate), whichever comes first, instead of one
 * statement per window. Not a real-time delay: the fleet simulator drives time through the event loop, and a
 * wall-clock flush would land at a different virtual time in each run (its determinism test caught that). The unique
 * (device, seq) index still stores every window exactly once — redeliveries, also inside one batch, are
 * skipped by the conflict clause in both dialects. Flushes run one after another; `flush()` resolves once
 * everything queued before it is stored (ingest drain and control-plane close wait for it). A failed batch is
 * logged and counted (INTERNAL) with its size; the agent's outbox redelivers what it has not had acked.
 */
import type { Logger } from 'pino';
import type { Database, Tables } from '../db/database.js';
import type { Metrics } from '../metrics.js';

export type TelemetryRow = Tables['telemetryWindows']['$inferInsert'];

export interface TelemetryWriter {
  add(row: TelemetryRow): void;
  /** Resolves when every row added so far is stored (or its batch failed and was logged). */
  flush(): Promise<void>;
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
  let timer: NodeJS.Immediate | null = null;
  let written: Promise<void> = Promise.resolve();

  const write = async (rows: TelemetryRow[]) => {
    try {
      await database.db.insert(database.tables.telemetryWindows).values(rows).onConflictDoNothing();
    } catch (error) {
      metrics.countRejection('INTERNAL');
      const devices = [...new Set(rows.map((r) => r.deviceId))].slice(0, 10);
      logger.error({ err: error, rows: rows.length, devices }, 'telemetry batch not stored');
    }
  };
  const flush = (): Promise<void> => {
    if (timer !== null) clearImmediate(timer);
    timer = null;
    if (buffer.length > 0) {
      const rows = buffer;
      buffer = [];
      written = written.then(() => write(rows));
    }
    return written;
  };

  return {
    add(row) {
      buffer.push(row);
      if (buffer.length >= maxRows) void flush();
      else timer ??= setImmediate(flush);
    },
    flush,
  };
}
