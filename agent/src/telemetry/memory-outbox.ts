/**
 * The outbox in process memory (AgentOptions.queueStorage 'memory'): the same contract as the SQLite outbox
 * (outbox.ts) — records stored as CBOR, seqs that only grow, the same row and byte bounds dropping the oldest
 * record of any kind and counting every drop — without its durability: everything is lost with the process.
 * For virtual devices (the simulator runs 10,000 agents in one process, where a SQLite connection each cost
 * memory and start-up time) and for tests; a real device keeps the file.
 */
import { encodeCbor } from '@edgefleet/protocol';
import { AgentError } from '../errors.js';
import { checkOutboxBounds, type Outbox, type OutboxEntry, type OutboxKind, outboxEntry } from './outbox.js';

interface Row {
  readonly kind: OutboxKind;
  readonly blob: Uint8Array;
}

export function createMemoryOutbox(options: { readonly maxRows: number; readonly maxBytes: number }): Outbox {
  checkOutboxBounds(options);
  // A Map iterates in insertion order, and seqs are inserted in increasing order: the first key is the oldest.
  const rows = new Map<number, Row>();
  const pending: Record<OutboxKind, number> = { events: 0, telemetry: 0 };
  let pendingBytes = 0;
  let dropped = 0;
  let nextSeq = 1;
  let closed = false;

  function remove(seq: number): boolean {
    const row = rows.get(seq);
    if (row === undefined) return false;
    rows.delete(seq);
    pending[row.kind] -= 1;
    pendingBytes -= row.blob.byteLength;
    return true;
  }

  function assertOpen(): void {
    if (closed) throw new AgentError('INVALID_TRANSITION', 'outbox is closed');
  }

  return {
    append(kind, record) {
      assertOpen();
      const blob = encodeCbor(record);
      const seq = nextSeq++;
      rows.set(seq, { kind, blob });
      pending[kind] += 1;
      pendingBytes += blob.byteLength;
      while (rows.size > options.maxRows || pendingBytes > options.maxBytes) {
        const oldest = rows.keys().next();
        if (oldest.done === true) break;
        remove(oldest.value);
        dropped += 1;
      }
      return seq;
    },
    peek(kind, limit) {
      assertOpen();
      const entries: OutboxEntry[] = [];
      if (pending[kind] === 0) return entries;
      for (const [seq, row] of rows) {
        if (entries.length >= limit) break;
        if (row.kind === kind) entries.push(outboxEntry(seq, row.blob));
      }
      return entries;
    },
    ack(seqs) {
      assertOpen();
      for (const seq of seqs) remove(seq);
    },
    stats() {
      return { pending: rows.size, pendingBytes, pendingByKind: { ...pending }, dropped };
    },
    close() {
      closed = true;
    },
  };
}
