import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCbor, eventsMessageSchema, systemClock, telemetryMessageSchema } from '@edgefleet/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOutbox, type Outbox, type OutboxKind } from '../../src/telemetry/outbox.js';
import { createOutboxPublisher } from '../../src/telemetry/publisher.js';

const logger = pino({ level: 'silent' });

interface Publish {
  readonly kind: OutboxKind;
  readonly seqs: number[];
  resolve(): void;
  reject(error: Error): void;
}

/** A publish function that holds every call until the test settles it, like a broker awaiting PUBACK. */
function heldBroker() {
  const calls: Publish[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const publish = (kind: OutboxKind, payload: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      const schema = kind === 'events' ? eventsMessageSchema : telemetryMessageSchema;
      const message = decodeCbor(payload, schema);
      concurrent += 1;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const settle = (fn: () => void) => () => {
        concurrent -= 1;
        fn();
      };
      calls.push({
        kind,
        seqs: message.records.map((r) => r.seq),
        resolve: settle(resolve),
        reject: (error) => settle(() => reject(error))(),
      });
    });
  return { calls, publish, maxConcurrent: () => maxConcurrent };
}

/** Lets pending promise callbacks run (publish → ack → next peek). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function event(at: number) {
  return { at, kind: 'agent-started' as const };
}

function window(line: string) {
  const latencyMs = { p50: 1, p95: 2, p99: 3, max: 4, mean: 1.5 };
  return { kind: 'inference', line, version: 1, windowStartMs: 0, windowEndMs: 60_000, count: 5, errors: 0, latencyMs };
}

describe('outbox publisher', () => {
  let dir: string;
  let outbox: Outbox;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgefleet-publisher-'));
    outbox = createOutbox({ path: join(dir, 'outbox.sqlite'), maxRows: 1000, maxBytes: 64 * 1024 * 1024 });
  });
  afterEach(async () => {
    vi.useRealTimers();
    outbox.close();
    await rm(dir, { recursive: true, force: true });
  });

  function publisher(publish: (kind: OutboxKind, payload: Uint8Array) => Promise<void>, batchSize = 2) {
    return createOutboxPublisher({ outbox, publish, clock: systemClock, batchSize, intervalMs: 5_000, logger });
  }

  it('publishes protocol messages in batches and deletes rows only after the publish resolves', async () => {
    const broker = heldBroker();
    const seqs = [1, 2, 3].map((at) => outbox.append('events', event(at)));
    const tseq = outbox.append('telemetry', window('iris'));
    const drained = publisher(broker.publish).drain();
    await settle();
    expect(broker.calls.map((c) => c.seqs)).toEqual([seqs.slice(0, 2)]);
    expect(outbox.stats().pending).toBe(4);

    broker.calls[0]!.resolve();
    await settle();
    expect(outbox.stats().pending).toBe(2);
    broker.calls[1]!.resolve();
    await settle();
    broker.calls[2]!.resolve();
    await drained;
    expect(broker.calls.map((c) => [c.kind, c.seqs])).toEqual([
      ['events', seqs.slice(0, 2)],
      ['telemetry', [tseq]],
      ['events', [seqs[2]]],
    ]);
    expect(outbox.stats().pending).toBe(0);
  });

  it('keeps the rows of a failed publish and sends the same seqs on the next attempt', async () => {
    const broker = heldBroker();
    const seqs = [1, 2].map((at) => outbox.append('events', event(at)));
    const pub = publisher(broker.publish);
    const first = pub.drain();
    await settle();
    broker.calls[0]!.reject(new Error('offline'));
    await first;
    expect(outbox.peek('events', 10).map((e) => e.seq)).toEqual(seqs);
    expect(pub.stats()).toMatchObject({ failedPublishes: 1, publishedRecords: 0 });

    const second = pub.drain();
    await settle();
    expect(broker.calls[1]?.seqs).toEqual(seqs);
    broker.calls[1]!.resolve();
    await second;
    expect(outbox.stats().pending).toBe(0);
  });

  it('never publishes the same rows twice concurrently, however often it is asked', async () => {
    const broker = heldBroker();
    for (let at = 0; at < 5; at++) outbox.append('events', event(at));
    const pub = publisher(broker.publish);
    const drains = [pub.drain(), pub.drain(), pub.drain()];
    for (let i = 0; i < 10 && broker.calls.length < 3; i++) {
      await settle();
      pub.drain();
      broker.calls.at(-1)?.resolve();
    }
    await Promise.all(drains);
    await settle();
    expect(broker.maxConcurrent()).toBe(1);
    const published = broker.calls.flatMap((c) => c.seqs);
    expect(new Set(published).size).toBe(published.length);
    expect(published).toHaveLength(5);
  });

  it('discards rows that do not match the protocol schema instead of blocking the queue', async () => {
    const bad = outbox.append('events', { at: 'yesterday', kind: 'agent-started' });
    const good = outbox.append('events', event(1));
    const sent: number[][] = [];
    const pub = publisher(async (_kind, payload) => {
      sent.push(decodeCbor(payload, eventsMessageSchema).records.map((r) => r.seq));
    });
    await pub.drain();
    expect(sent).toEqual([[good]]);
    expect(bad).toBeLessThan(good);
    expect(pub.stats()).toMatchObject({ discardedRecords: 1, publishedRecords: 1 });
    expect(outbox.stats().pending).toBe(0);
  });

  it('while started, publishes on kick and every interval; after stop, only on explicit drain', async () => {
    vi.useFakeTimers();
    const sent: number[] = [];
    const pub = publisher(async (_kind, payload) => {
      sent.push(...decodeCbor(payload, eventsMessageSchema).records.map((r) => r.seq));
    }, 10);
    pub.start();
    const a = outbox.append('events', event(1));
    pub.kick();
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual([a]);

    const b = outbox.append('events', event(2));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toEqual([a, b]);

    pub.stop();
    const c = outbox.append('events', event(3));
    pub.kick();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(sent).toEqual([a, b]);
    await pub.drain();
    expect(sent).toEqual([a, b, c]);
  });
});
