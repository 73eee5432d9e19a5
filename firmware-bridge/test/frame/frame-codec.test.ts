import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cobsDecode, cobsEncode } from '../../src/frame/cobs.js';
import { createDeframer } from '../../src/frame/deframer.js';
import { decodeFrame, encodeFrame, type Frame, maxPayloadBytes } from '../../src/frame/frame-codec.js';
import type { BridgeError } from '../../src/index.js';

const MAX = 1024;
const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  seq: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.uint8Array({ maxLength: maxPayloadBytes(MAX) }),
});

/** The encoded frame without its trailing delimiter: what the deframer hands to decodeFrame. */
const body = (frame: Frame) => encodeFrame(frame, MAX).subarray(0, -1);

describe('COBS', () => {
  it('round-trips any bytes and never emits a zero', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const encoded = cobsEncode(bytes);
        expect(encoded.includes(0)).toBe(false);
        expect(encoded.length).toBeLessThanOrEqual(bytes.length + Math.ceil(bytes.length / 254) + 1);
        expect(cobsDecode(encoded)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });
});

describe('frame codec: [type u8][seq u16][CBOR payload][CRC-32], COBS, 0x00', () => {
  it('round-trips any payload up to the maximum frame', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        const wire = encodeFrame(frame, MAX);
        expect(wire.at(-1)).toBe(0);
        expect(wire.subarray(0, -1).includes(0)).toBe(false);
        expect(decodeFrame(wire.subarray(0, -1), MAX)).toEqual(frame);
      }),
      { numRuns: 500 },
    );
  });

  it('detects 1 to 3 flipped bits anywhere in the encoded frame and never decodes them as valid', () => {
    fc.assert(
      fc.property(frameArb, fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), (frame, picks) => {
        const corrupted = body(frame).slice();
        const bits = [...new Set(picks.map((p) => p % (corrupted.length * 8)))];
        for (const bit of bits) corrupted[bit >> 3] = (corrupted[bit >> 3] as number) ^ (1 << (bit & 7));
        // A flip that makes a 0x00 splits the frame on the line: each piece must be refused too.
        for (const piece of splitOnZero(corrupted)) expect(() => decodeFrame(piece, MAX)).toThrow(/CRC|COBS|shorter/);
      }),
      { numRuns: 2000 },
    );
  });

  it('detects every truncation', () => {
    fc.assert(
      fc.property(frameArb, fc.nat(), (frame, cut) => {
        const encoded = body(frame);
        const truncated = encoded.subarray(0, cut % encoded.length);
        if (truncated.length === 0) return;
        expect(() => decodeFrame(truncated, MAX)).toThrow(/CRC|COBS|shorter/);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses to encode or decode a frame above the maximum size', () => {
    const big = { type: 1, seq: 0, payload: new Uint8Array(maxPayloadBytes(MAX) + 1) };
    expect(() => encodeFrame(big, MAX)).toThrow(/exceeds/);
    expect(() => decodeFrame(body(big as Frame & { payload: Uint8Array }).subarray(0, 10), 8)).toThrow(/exceeds/);
  });
});

describe('deframer', () => {
  function collect(maxFrameBytes = MAX) {
    const frames: Frame[] = [];
    const errors: string[] = [];
    const deframer = createDeframer({
      maxFrameBytes,
      onFrame: (f) => frames.push(f),
      onError: (e: BridgeError) => errors.push(e.code),
    });
    return { deframer, frames, errors };
  }

  it('reassembles frames split across and packed into arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat({ max: 50 })), (list, cuts) => {
        const { deframer, frames, errors } = collect();
        const stream = Buffer.concat(list.map((f) => encodeFrame(f, MAX)));
        let at = 0;
        for (const cut of cuts) {
          deframer.push(stream.subarray(at, at + cut));
          at += cut;
        }
        deframer.push(stream.subarray(at));
        expect(frames).toEqual(list);
        expect(errors).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('counts garbage and an oversized frame, then decodes the next good frame', () => {
    const { deframer, frames, errors } = collect(64);
    const good = { type: 0x20, seq: 7, payload: Uint8Array.from([1, 2, 3]) };
    deframer.push(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0x00]));
    deframer.push(new Uint8Array(500).fill(0x41));
    deframer.push(Uint8Array.from([0x00]));
    deframer.push(encodeFrame(good, 64));
    expect(errors).toEqual(['FRAME_CORRUPT', 'MESSAGE_TOO_LARGE']);
    expect(frames).toEqual([good]);
  });
});

function splitOnZero(bytes: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0) {
      if (i > start) pieces.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return pieces;
}
