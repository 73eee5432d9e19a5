import { afterEach, describe, expect, it } from 'vitest';
import { openMemorySerialPair, openNullModem, type SerialTransport } from '../../src/index.js';

/** One contract, two lines: the in-memory twin and the paced serialport null modem (binding-mock). */
const LINES: Array<[string, () => Promise<[SerialTransport, SerialTransport]>]> = [
  ['in-memory pair', async () => openMemorySerialPair({ baudRate: 115_200 })],
  ['null modem over @serialport/binding-mock at 921600 baud', () => openNullModem({ baudRate: 921_600 })],
];

describe.each(LINES)('SerialTransport contract: %s', (_, open) => {
  const opened: SerialTransport[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((t) => t.close()));
  });

  function received(transport: SerialTransport): { bytes(): number[] } {
    const chunks: Uint8Array[] = [];
    transport.onData((chunk) => chunks.push(chunk.slice()));
    return { bytes: () => chunks.flatMap((c) => Array.from(c)) };
  }

  async function until(check: () => boolean): Promise<void> {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 2));
  }

  it('delivers every byte, in order, in both directions at once', async () => {
    const [a, b] = await open();
    opened.push(a, b);
    const atA = received(a);
    const atB = received(b);
    const toB = Array.from({ length: 600 }, (_, i) => i % 251);
    const toA = Array.from({ length: 300 }, (_, i) => (i * 7) % 256);
    await Promise.all([
      a.write(Uint8Array.from(toB.slice(0, 100))).then(() => a.write(Uint8Array.from(toB.slice(100)))),
      b.write(Uint8Array.from(toA)),
    ]);
    await until(() => atB.bytes().length === toB.length && atA.bytes().length === toA.length);
    expect(atB.bytes()).toEqual(toB);
    expect(atA.bytes()).toEqual(toA);
  });

  it('stops delivering to an end once it is closed, and its listeners can be removed', async () => {
    const [a, b] = await open();
    opened.push(a);
    const chunks: number[] = [];
    const stop = b.onData((chunk) => chunks.push(...chunk));
    await a.write(Uint8Array.from([1]));
    await until(() => chunks.length === 1);
    stop();
    await a.write(Uint8Array.from([2]));
    await b.close();
    await a.write(Uint8Array.from([3])).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(chunks).toEqual([1]);
  });
});
