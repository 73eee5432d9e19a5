/**
 * The telemetry outbox (DESIGN.md §4 Telemetry): a bounded store-and-forward queue in a SQLite file, so
 * events and inference windows survive being offline and restarts. Each row's id is the record's `seq`;
 * AUTOINCREMENT guarantees a seq is never reused after its row is deleted (SQLite "Autoincrement" §3),
 * which the control plane relies on when it de-duplicates on (device, seq). The queue is bounded in rows
 * and in bytes (the encoded records: SD cards fill up); when either bound is passed the oldest
 * rows are dropped and counted in a persisted counter, so the loss is exact and visible. Freed pages are
 * reused by later appends, so the file stays near the bound; `journal_size_limit` truncates the WAL after
 * checkpoints so it cannot grow without bound either.
 */
import { decodeCborUnknown, encodeCbor } from '@edgefleet/protocol';
import Database from 'better-sqlite3';
import { AgentError } from '../errors.js';

export type OutboxKind = 'events' | 'telemetry';
export const OUTBOX_KINDS: readonly OutboxKind[] = Object.freeze(['events', 'telemetry']);

export interface OutboxEntry {
  readonly seq: number;
  /** The appended record with its `seq` added. */
  readonly record: Record<string, unknown> & { readonly seq: number };
}

export interface OutboxStats {
  readonly pending: number;
  /** Encoded bytes of the pending records. */
  readonly pendingBytes: number;
  readonly pendingByKind: Record<OutboxKind, number>;
  readonly dropped: number;
}

export interface Outbox {
  /** Stores a record (without seq) and returns the seq it was given. */
  append(kind: OutboxKind, record: object): number;
  /** Oldest first. */
  peek(kind: OutboxKind, limit: number): OutboxEntry[];
  /** Deletes delivered rows; unknown seqs are ignored (an ack may arrive twice). */
  ack(seqs: readonly number[]): void;
  stats(): OutboxStats;
  close(): void;
}

export interface OutboxOptions {
  readonly path: string;
  readonly maxRows: number;
  readonly maxBytes: number;
}

/** The WAL is truncated to this after a checkpoint (SQLite PRAGMA journal_size_limit). */
const WAL_LIMIT_BYTES = 1024 * 1024;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('events', 'telemetry')),
    record BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS outbox_kind_seq ON outbox (kind, seq);
  CREATE TABLE IF NOT EXISTS outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT OR IGNORE INTO outbox_counters (name, value) VALUES ('dropped', 0);
`;

/** Throws unless both bounds are positive integers (both outbox stores check the same way). */
export function checkOutboxBounds(options: { readonly maxRows: number; readonly maxBytes: number }): void {
  if (!Number.isInteger(options.maxRows) || options.maxRows < 1) {
    throw new AgentError('INTERNAL', `outbox maxRows must be a positive integer, got ${options.maxRows}`);
  }
  if (!Number.isInteger(options.maxBytes) || options.maxBytes < 1) {
    throw new AgentError('INTERNAL', `outbox maxBytes must be a positive integer, got ${options.maxBytes}`);
  }
}

/** A stored record back as an entry: its CBOR map with `seq` added (both outbox stores store CBOR). */
export function outboxEntry(seq: number, blob: Uint8Array): OutboxEntry {
  const decoded = decodeCborUnknown(blob);
  if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new AgentError('INTERNAL', `outbox row ${seq} does not hold a CBOR map`, { details: { seq } });
  }
  return { seq, record: { ...(decoded as Record<string, unknown>), seq } };
}

export function createOutbox(options: OutboxOptions): Outbox {
  checkOutboxBounds(options);
  const db = new Database(options.path);
  // WAL + NORMAL: a crash may lose the last few appends but never corrupts the file, and appends stay cheap
  // on SD cards (SQLite "Write-Ahead Logging" §2; PRAGMA synchronous docs).
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
  db.exec(SCHEMA);

  const insert = db.prepare<[string, Uint8Array]>('INSERT INTO outbox (kind, record) VALUES (?, ?)');
  const select = db.prepare<[string, number], { seq: number; record: Uint8Array }>(
    'SELECT seq, record FROM outbox WHERE kind = ? ORDER BY seq LIMIT ?',
  );
  const remove = db.prepare<[number], { kind: OutboxKind; bytes: number }>(
    'DELETE FROM outbox WHERE seq = ? RETURNING kind, length(record) AS bytes',
  );
  const oldest = db.prepare<[], { seq: number; kind: OutboxKind; bytes: number }>(
    'SELECT seq, kind, length(record) AS bytes FROM outbox ORDER BY seq LIMIT 1',
  );
  const addDropped = db.prepare<[number]>("UPDATE outbox_counters SET value = value + ? WHERE name = 'dropped'");
  const readDropped = db.prepare<[], { value: number }>("SELECT value FROM outbox_counters WHERE name = 'dropped'");
  const countByKind = db.prepare<[], { kind: OutboxKind; n: number; bytes: number }>(
    'SELECT kind, COUNT(*) AS n, COALESCE(SUM(length(record)), 0) AS bytes FROM outbox GROUP BY kind',
  );

  // Counts kept in memory (loaded once) so append does not COUNT(*) the table each time.
  const pending: Record<OutboxKind, number> = { events: 0, telemetry: 0 };
  let pendingBytes = 0;
  for (const row of countByKind.all()) {
    pending[row.kind] = row.n;
    pendingBytes += row.bytes;
  }
  let dropped = readDropped.get()?.value ?? 0;
  let state: 'open' | 'closed' = 'open';

  function removeRow(seq: number): boolean {
    const row = remove.get(seq);
    if (row === undefined) return false;
    pending[row.kind] -= 1;
    pendingBytes -= row.bytes;
    return true;
  }

  const appendTx = db.transaction((kind: OutboxKind, blob: Uint8Array): number => {
    const seq = Number(insert.run(kind, blob).lastInsertRowid);
    pending[kind] += 1;
    pendingBytes += blob.byteLength;
    let excess = 0;
    while (pending.events + pending.telemetry > options.maxRows || pendingBytes > options.maxBytes) {
      const row = oldest.get();
      if (row === undefined || !removeRow(row.seq)) break;
      excess += 1;
    }
    if (excess > 0) {
      addDropped.run(excess);
      dropped += excess;
    }
    return seq;
  });
  const ackTx = db.transaction((seqs: readonly number[]) => {
    for (const seq of seqs) removeRow(seq);
  });

  function assertOpen(): void {
    if (state === 'closed') throw new AgentError('INVALID_TRANSITION', 'outbox is closed');
  }

  return {
    append(kind, record) {
      assertOpen();
      return appendTx(kind, encodeCbor(record));
    },
    peek(kind, limit) {
      assertOpen();
      // The publisher peeks both kinds on every drain; most drains find one kind empty.
      if (pending[kind] === 0) return [];
      return select.all(kind, limit).map((row) => outboxEntry(row.seq, row.record));
    },
    ack(seqs) {
      assertOpen();
      ackTx(seqs);
    },
    stats() {
      return { pending: pending.events + pending.telemetry, pendingBytes, pendingByKind: { ...pending }, dropped };
    },
    close() {
      if (state === 'closed') return;
      state = 'closed';
      db.close();
    },
  };
}
