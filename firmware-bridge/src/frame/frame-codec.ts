/**
 * The serial frame (DESIGN.md §6): `[type u8][seq u16 BE][CBOR payload][CRC-32 u32 BE]`, COBS-encoded and
 * ended by one 0x00 delimiter. The CRC is CRC-32/ISO-HDLC (the IEEE 802.3 / zlib polynomial, node:zlib
 * `crc32`) over type, seq and payload; it detects every error of up to 3 bits in frames up to 11 KiB and
 * every burst up to 32 bits, and misses other corruption with probability 2^-32 (Koopman & Chakravarty,
 * DSN 2004). `maxFrameBytes` bounds the decoded frame (header + payload + CRC), so a receiver's buffer is
 * fixed in advance — a microcontroller's RAM budget — and an oversized frame is refused, never buffered.
 */
import { crc32 } from 'node:zlib';
import { BridgeError } from '../errors.js';
import { cobsDecode, cobsEncode } from './cobs.js';

export const FRAME_DEFAULTS = Object.freeze({
  /** Decoded bytes (header + payload + CRC) of the largest frame either side accepts unless told less. */
  maxFrameBytes: 1024,
});

export const FRAME_HEADER_BYTES = 3;
export const FRAME_CRC_BYTES = 4;
export const FRAME_DELIMITER = 0x00;

export interface Frame {
  readonly type: number;
  /** 0..65535; wraps. */
  readonly seq: number;
  readonly payload: Uint8Array;
}

/** The most COBS-encoded bytes a frame of `maxFrameBytes` can take on the wire (delimiter excluded). */
export function maxEncodedBytes(maxFrameBytes: number): number {
  return maxFrameBytes + Math.ceil(maxFrameBytes / 254) + 1;
}

/** The largest payload a frame of `maxFrameBytes` carries. */
export function maxPayloadBytes(maxFrameBytes: number): number {
  return maxFrameBytes - FRAME_HEADER_BYTES - FRAME_CRC_BYTES;
}

/** The bytes to put on the line: COBS(frame) + 0x00. Throws MESSAGE_TOO_LARGE above `maxFrameBytes`. */
export function encodeFrame(frame: Frame, maxFrameBytes: number = FRAME_DEFAULTS.maxFrameBytes): Uint8Array {
  const size = FRAME_HEADER_BYTES + frame.payload.length + FRAME_CRC_BYTES;
  if (size > maxFrameBytes) {
    throw new BridgeError('MESSAGE_TOO_LARGE', `frame of ${size} bytes exceeds ${maxFrameBytes}`, {
      details: { bytes: size, limit: maxFrameBytes, type: frame.type },
    });
  }
  const raw = new Uint8Array(size);
  const view = new DataView(raw.buffer);
  view.setUint8(0, frame.type);
  view.setUint16(1, frame.seq & 0xffff);
  raw.set(frame.payload, FRAME_HEADER_BYTES);
  view.setUint32(size - FRAME_CRC_BYTES, crc32(raw.subarray(0, size - FRAME_CRC_BYTES)));
  const encoded = cobsEncode(raw);
  const out = new Uint8Array(encoded.length + 1);
  out.set(encoded);
  out[encoded.length] = FRAME_DELIMITER;
  return out;
}

/**
 * Decodes the bytes between two delimiters. Throws FRAME_CORRUPT (not COBS, too short for a header and CRC,
 * or the CRC does not match) or MESSAGE_TOO_LARGE; never returns a frame whose CRC failed.
 */
export function decodeFrame(encoded: Uint8Array, maxFrameBytes: number = FRAME_DEFAULTS.maxFrameBytes): Frame {
  if (encoded.length > maxEncodedBytes(maxFrameBytes)) {
    throw new BridgeError('MESSAGE_TOO_LARGE', `frame of ${encoded.length} encoded bytes exceeds ${maxFrameBytes}`);
  }
  const raw = cobsDecode(encoded);
  if (raw === null) throw new BridgeError('FRAME_CORRUPT', 'bytes are not a COBS encoding');
  if (raw.length > maxFrameBytes) {
    throw new BridgeError('MESSAGE_TOO_LARGE', `frame of ${raw.length} bytes exceeds ${maxFrameBytes}`);
  }
  if (raw.length < FRAME_HEADER_BYTES + FRAME_CRC_BYTES) {
    throw new BridgeError('FRAME_CORRUPT', `frame of ${raw.length} bytes is shorter than header and CRC`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const body = raw.subarray(0, raw.length - FRAME_CRC_BYTES);
  if (view.getUint32(raw.length - FRAME_CRC_BYTES) !== crc32(body)) {
    throw new BridgeError('FRAME_CORRUPT', 'CRC-32 mismatch');
  }
  return { type: view.getUint8(0), seq: view.getUint16(1), payload: raw.slice(FRAME_HEADER_BYTES, body.length) };
}
