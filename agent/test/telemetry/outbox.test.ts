import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryOutbox } from '../../src/telemetry/memory-outbox.js';
import { createOutbox, type Outbox } from '../../src/telemetry/outbox.js';

// The contract both stores keep; the SQLite file's persistence and WAL mode are tested below it.
describe.each([
  ['SQLite file', 'file'],
  ['in memory', 'memory'],
] as const)('telemetry outbox (%s)', (_name, storage) => {
  let dir: string;
  let path: string;
  const open: Outbox[] = [];
  function outbox(maxRows = 100, maxBytes = 1024 * 1024): Outbox {
    const created =
      storage === 'file' ? createOutbox({ path, maxRows, maxBytes }) : createMemoryOutbox({ maxRows, maxBytes });
    open.push(created);
    return created;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-outbox-'));
    path = join(dir, 'outbox.sqlite');
  });
  afterEach(async () => {
    for (const o of open.splice(0)) o.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands records back oldest first, per kind, each carrying its seq', () => {
    const box = outbox();
    const a = box.append('events', { at: 1, kind: 'agent-started' });
    const b = box.append('telemetry', { kind: 'inference', count: 3 });
    const c = box.append('events', { at: 2, kind: 'install-started', line: 'iris', version: 2 });
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(box.peek('events', 10)).toEqual([
      { seq: a, record: { seq: a, at: 1, kind: 'agent-started' } },
      { seq: c, record: { seq: c, at: 2, kind: 'install-started', line: 'iris', version: 2 } },
    ]);
    expect(box.peek('events', 1).map((e) => e.seq)).toEqual([a]);
    expect(box.peek('telemetry', 10)).toEqual([{ seq: b, record: { seq: b, kind: 'inference', count: 3 } }]);
    expect(box.stats()).toMatchObject({ pending: 3, pendingByKind: { events: 2, telemetry: 1 }, dropped: 0 });
  });

  it('deletes acknowledged rows and ignores seqs it no longer has', () => {
    const box = outbox();
    const seqs = [1, 2, 3].map((at) => box.append('events', { at }));
    box.ack([seqs[0]!, seqs[2]!, 9999]);
    box.ack([seqs[0]!]);
    expect(box.peek('events', 10).map((e) => e.seq)).toEqual([seqs[1]]);
    expect(box.stats().pending).toBe(1);
  });

  it.runIf(storage === 'file')('never reuses a seq after its row was acknowledged, even across a reopen', () => {
    let box = outbox();
    const first = box.append('events', { at: 1 });
    box.ack([first]);
    const second = box.append('events', { at: 2 });
    expect(second).toBeGreaterThan(first);
    box.ack([second]);
    box.close();
    box = outbox();
    expect(box.append('events', { at: 3 })).toBeGreaterThan(second);
  });

  it('when full, drops the oldest rows of any kind and counts every drop exactly', () => {
    const box = outbox(5);
    const seqs: number[] = [];
    for (let i = 0; i < 12; i++) seqs.push(box.append(i % 3 === 0 ? 'telemetry' : 'events', { i }));
    const kept = [...box.peek('events', 100), ...box.peek('telemetry', 100)].map((e) => e.seq).sort((x, y) => x - y);
    expect(kept).toEqual(seqs.slice(7));
    // Kept: i = 7..11, of which only i = 9 is telemetry.
    expect(box.stats()).toMatchObject({ pending: 5, pendingByKind: { events: 4, telemetry: 1 }, dropped: 7 });
  });

  it.runIf(storage === 'file')('keeps pending rows and the dropped counter across a restart', () => {
    const box = outbox(3);
    for (let i = 0; i < 5; i++) box.append('events', { i });
    box.close();
    const reopened = outbox(3);
    expect(reopened.stats()).toMatchObject({ pending: 3, pendingByKind: { events: 3, telemetry: 0 }, dropped: 2 });
    expect(reopened.peek('events', 10).map((e) => e.record.i)).toEqual([2, 3, 4]);
    reopened.append('events', { i: 5 });
    expect(reopened.stats().dropped).toBe(3);
  });

  it('bounds the queue in bytes: drops the oldest rows until the encoded records fit, counting each drop', () => {
    // Each record is a CBOR map { i, pad } of 110 or so bytes; 1000 bytes hold nine of them.
    const box = outbox(10_000, 1000);
    const seqs: number[] = [];
    for (let i = 0; i < 40; i++) seqs.push(box.append('telemetry', { i, pad: 'x'.repeat(100) }));
    const { pending, pendingBytes, dropped } = box.stats();
    expect(pendingBytes).toBeLessThanOrEqual(1000);
    expect(pendingBytes).toBeGreaterThan(1000 - 110);
    expect(pending + dropped).toBe(40);
    expect(box.peek('telemetry', 100).map((e) => e.seq)).toEqual(seqs.slice(dropped));
    // Acknowledged rows give their bytes back; the byte count survives a reopen (of the file).
    box.ack(seqs.slice(dropped, dropped + 2));
    const afterAck = box.stats().pendingBytes;
    expect(afterAck).toBeLessThan(pendingBytes);
    expect(box.stats()).toMatchObject({ pendingBytes: afterAck, pending: pending - 2, dropped });
    if (storage === 'memory') return;
    box.close();
    expect(outbox(10_000, 1000).stats()).toMatchObject({ pendingBytes: afterAck, pending: pending - 2, dropped });
  });

  it('keeps a single record larger than the byte bound out entirely, counted as dropped', () => {
    const box = outbox(10_000, 200);
    box.append('events', { at: 1 });
    box.append('telemetry', { pad: 'y'.repeat(500) });
    expect(box.stats()).toMatchObject({ pending: 0, pendingBytes: 0, dropped: 2 });
  });

  it.runIf(storage === 'file')('stores the file in WAL mode', () => {
    outbox().append('events', { at: 1 });
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('never reuses a seq after its row was acknowledged', () => {
    const box = outbox();
    const seqs = [1, 2, 3].map((at) => box.append('events', { at }));
    box.ack(seqs);
    expect(box.append('events', { at: 4 })).toBeGreaterThan(seqs[2]!);
  });

  it('refuses to be used after close', () => {
    const box = outbox();
    box.close();
    expect(() => box.append('events', {})).toThrow(expect.objectContaining({ code: 'INVALID_TRANSITION' }));
  });
});
