import { describe, expect, it } from 'vitest';
import { createMqttFrameScanner } from '../../src/broker/mqtt-frame-scanner.js';
import { createTokenBucket } from '../../src/broker/token-bucket.js';

const limits = { maxPacketBytes: 1000, maxConnectBytes: 100 };

function connect(bodyBytes: number): Uint8Array {
  return Uint8Array.from([0x10, bodyBytes, ...new Array(bodyBytes).fill(0)]);
}

describe('MQTT frame scanner', () => {
  it('follows packets across chunk boundaries, one byte at a time', () => {
    const scanner = createMqttFrameScanner(limits);
    // CONNECT of 10, PUBLISH of 200 (two-byte length 0xc8 0x01), PINGREQ.
    const stream = Uint8Array.from([...connect(10), 0x30, 0xc8, 0x01, ...new Array(200).fill(7), 0xc0, 0x00]);
    for (const byte of stream) expect(scanner.push(Uint8Array.of(byte))).toBeUndefined();
    expect(scanner.packets).toBe(3);
  });

  it('refuses a CONNECT over its cap from the announced length alone', () => {
    const scanner = createMqttFrameScanner(limits);
    // 200 MiB announced: 0x80 0x80 0x80 0x64.
    expect(scanner.push(Uint8Array.of(0x10, 0x80, 0x80, 0x80, 0x64))).toEqual({
      kind: 'connect-too-large',
      announcedBytes: 200 * 1024 * 1024,
      limit: 100,
    });
    // Failed for good: later bytes do not revive it.
    expect(scanner.push(Uint8Array.of(0xc0, 0))).toMatchObject({ kind: 'connect-too-large' });
  });

  it('refuses any packet over the packet cap, a first packet that is not CONNECT and a five-byte length', () => {
    const big = createMqttFrameScanner(limits);
    expect(big.push(connect(5))).toBeUndefined();
    expect(big.push(Uint8Array.of(0x30, 0xe9, 0x07))).toEqual({
      kind: 'packet-too-large',
      packetType: 3,
      announcedBytes: 1001,
      limit: 1000,
    });
    expect(createMqttFrameScanner(limits).push(Uint8Array.of(0x30, 0))).toEqual({
      kind: 'first-packet-not-connect',
      packetType: 3,
    });
    expect(createMqttFrameScanner(limits).push(Uint8Array.of(0x10, 0xff, 0xff, 0xff, 0xff))).toEqual({
      kind: 'malformed-length',
    });
  });
});

describe('token bucket', () => {
  it('takes a burst, then refills at its rate', () => {
    const bucket = createTokenBucket(3, 2, 0);
    expect([1, 2, 3, 4].map(() => bucket.take(1, 0))).toEqual([true, true, true, false]);
    expect(bucket.take(1, 400)).toBe(false);
    expect(bucket.take(1, 500)).toBe(true);
  });

  it('borrows into debt and says how long the debt takes to pay back; a refund undoes it', () => {
    const bucket = createTokenBucket(10, 5, 0);
    expect(bucket.borrow(10, 0)).toBe(0);
    expect(bucket.borrow(5, 0)).toBe(1000);
    bucket.refund(5);
    expect(bucket.borrow(1, 0)).toBe(200);
    expect(bucket.borrow(0, 1200)).toBe(0);
  });
});
