import { systemClock } from '@edgefleet/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, openMemorySerialPair, type SerialTransport } from '../../src/index.js';
import { createReliableLink, type ReliableLink } from '../../src/link/reliable-link.js';

const HELLO = 0x10;
const WELCOME = 0x11;
const DATA = 0x20;
const logger = pino({ level: 'silent' });

type Verdict = 'pass' | 'drop' | 'hold';

/** Lets a test drop or hold back chosen frames written by one end (each write is one frame). */
function tap(transport: SerialTransport, decide: (type: number, seq: number) => Verdict) {
  const held: Uint8Array[] = [];
  const tapped: SerialTransport = {
    ...transport,
    async write(bytes) {
      const frame = decodeFrame(bytes.subarray(0, -1));
      const verdict = decide(frame.type, frame.seq);
      if (verdict === 'hold') held.push(bytes);
      else if (verdict === 'pass') await transport.write(bytes);
    },
  };
  return { tapped, release: () => Promise.all(held.splice(0).map((b) => transport.write(b))) };
}

const links: ReliableLink[] = [];
function link(transport: SerialTransport, options: { maxRetries?: number } = {}): ReliableLink {
  const created = createReliableLink({
    transport,
    clock: systemClock,
    logger,
    maxFrameBytes: 256,
    window: 4,
    ackType: 0x01,
    syncTypes: new Set([HELLO, WELCOME]),
    ...options,
  });
  links.push(created);
  return created;
}

function received(l: ReliableLink): number[] {
  const values: number[] = [];
  l.on('message', (frame) => values.push(frame.payload[0] as number));
  return values;
}

/** MCU-side `a` says hello, gateway-side `b` welcomes: both receivers are synchronised. */
async function handshake(a: ReliableLink, b: ReliableLink): Promise<void> {
  await a.sendSync(HELLO, new Uint8Array([0]));
  await vi.advanceTimersByTimeAsync(1);
  await b.sendSync(WELCOME, new Uint8Array([0]));
  await vi.advanceTimersByTimeAsync(1);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(async () => {
  for (const l of links.splice(0)) l.close();
  vi.useRealTimers();
});

describe('reliable serial link (selective repeat ARQ)', () => {
  it('delivers messages in order, exactly once, both ways, after the handshake', async () => {
    const [x, y] = openMemorySerialPair({ baudRate: 115_200 });
    const a = link(x);
    const b = link(y);
    const atA = received(a);
    const atB = received(b);
    await expect(a.send(DATA, Uint8Array.from([9]))).rejects.toMatchObject({ code: 'LINK_RESET' });
    await handshake(a, b);
    const sends = [
      ...[1, 2, 3, 4, 5, 6].map((v) => a.send(DATA, Uint8Array.from([v]))),
      b.send(DATA, Uint8Array.from([7])),
    ];
    await vi.advanceTimersByTimeAsync(10);
    await Promise.all(sends);
    expect(atB).toEqual([1, 2, 3, 4, 5, 6]);
    expect(atA).toEqual([7]);
    expect(a.stats().retransmits).toBe(0);
  });

  it('retransmits a dropped frame when its ack is late, and the receiver reorders what came after it', async () => {
    const [x, y] = openMemorySerialPair({ baudRate: 115_200 });
    let dropped = false;
    const { tapped } = tap(x, (type, seq) => {
      if (type === DATA && seq === 2 && !dropped) {
        dropped = true;
        return 'drop';
      }
      return 'pass';
    });
    const a = link(tapped);
    const b = link(y);
    const atB = received(b);
    await handshake(a, b);
    const sends = [1, 2, 3, 4].map((v) => a.send(DATA, Uint8Array.from([v])));
    await vi.advanceTimersByTimeAsync(5);
    expect(atB).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(sends);
    expect(atB).toEqual([1, 2, 3, 4]);
    expect(a.stats().retransmits).toBe(1);
    expect(b.stats().reordered).toBe(2);
  });

  it('re-acknowledges a duplicate whose ack was lost and delivers it only once', async () => {
    const [x, y] = openMemorySerialPair({ baudRate: 115_200 });
    let lost = false;
    const { tapped } = tap(y, (type) => {
      if (type === 0x01 && !lost) {
        lost = true;
        return 'drop';
      }
      return 'pass';
    });
    const a = link(x);
    const b = link(tapped);
    const atB = received(b);
    await handshake(a, b);
    const sent = a.send(DATA, Uint8Array.from([5]));
    await vi.advanceTimersByTimeAsync(1000);
    await sent;
    expect(atB).toEqual([5]);
    expect(b.stats().duplicates).toBe(1);
    expect(a.stats().retransmits).toBe(1);
  });

  it('goes down with LINK_TIMEOUT when the peer never acknowledges, and comes back with a handshake', async () => {
    const [x, y] = openMemorySerialPair({ baudRate: 115_200 });
    let silent = true;
    const { tapped } = tap(y, (type) => (type === 0x01 && silent ? 'drop' : 'pass'));
    const a = link(x, { maxRetries: 3 });
    const b = link(tapped);
    const atB = received(b);
    await handshake(a, b);
    const lost = a.send(DATA, Uint8Array.from([1]));
    const assertion = expect(lost).rejects.toMatchObject({ code: 'LINK_TIMEOUT' });
    await vi.advanceTimersByTimeAsync(5000);
    await assertion;
    expect(a.state).toBe('down');
    expect(a.stats().retransmits).toBe(3);
    silent = false;
    await handshake(b, a);
    await handshake(a, b);
    const again = a.send(DATA, Uint8Array.from([2]));
    await vi.advanceTimersByTimeAsync(10);
    await again;
    expect(a.state).toBe('up');
    expect(atB.at(-1)).toBe(2);
  });

  it('drops unacknowledged messages with LINK_RESET when the link is resynchronised', async () => {
    const [x, y] = openMemorySerialPair({ baudRate: 115_200 });
    const { tapped } = tap(x, (type) => (type === DATA ? 'hold' : 'pass'));
    const a = link(tapped);
    const b = link(y);
    await handshake(a, b);
    const pending = a.send(DATA, Uint8Array.from([1]));
    await vi.advanceTimersByTimeAsync(1);
    await a.sendSync(HELLO, new Uint8Array([0]));
    await expect(pending).rejects.toMatchObject({ code: 'LINK_RESET' });
  });
});
