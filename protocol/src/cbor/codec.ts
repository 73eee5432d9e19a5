/**
 * The CBOR codec for every edgefleet payload. Encoding is deterministic (RFC 8949 §4.2.1: map keys sorted
 * by their encoded bytes, i.e. shorter first, then bytewise) so a signed document has exactly one byte form.
 * Decoding enforces a size limit and a nesting limit before cbor-x sees the bytes, then validates with a zod
 * schema, so callers receive either a typed value or a ProtocolError with a stable code.
 */
import { Decoder, Encoder } from 'cbor-x';
import type { z } from 'zod';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { scanCbor } from './scan.js';

export const CODEC_LIMITS = Object.freeze({
  /** Largest message accepted on any topic: a 64 KiB chunk plus envelope fits comfortably. */
  maxMessageBytes: 256 * 1024,
  maxDepth: 16,
});

export interface DecodeLimits {
  readonly maxMessageBytes?: number;
  readonly maxDepth?: number;
}

const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true });
// int64AsNumber: an RFC 8949 §4.2.1 encoder writes a ms timestamp as a uint64, which cbor-x would decode
// as a bigint that no schema accepts (found by the parser fuzzer with an independent encoder). As a number
// it is exact up to 2^53, and the schemas' z.int() refuses anything beyond that. (A cbor-x option its
// typings omit: decode.js reads `int64AsNumber`.)
const decoderOptions = { useRecords: false, mapsAsObjects: true, int64AsNumber: true };
const decoder = new Decoder(decoderOptions as ConstructorParameters<typeof Decoder>[0]);
const utf8 = new TextEncoder();

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function compareKeys(a: string, b: string): number {
  // ASCII keys (every schema field name): one byte per code unit, so string order is byte order and no
  // encoding is needed — this comparison ran for every key pair of every message (3.8 % of a fleet run).
  if (isAscii(a) && isAscii(b)) {
    if (a.length !== b.length) return a.length - b.length;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const ab = utf8.encode(a);
  const bb = utf8.encode(b);
  if (ab.length !== bb.length) return ab.length - bb.length;
  for (let i = 0; i < ab.length; i++) {
    const d = (ab[i] as number) - (bb[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

function canonicalize(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(canonicalize);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort(compareKeys)) {
    // Assigning it would set the prototype and silently drop the field; the decoder refuses it too (scan.ts).
    if (key === '__proto__') throw new ProtocolError('SCHEMA_INVALID', 'the map key __proto__ is not allowed');
    const v = (value as Record<string, unknown>)[key];
    // undefined has no CBOR meaning in our schemas; dropping it keeps optional fields canonical.
    if (v !== undefined) out[key] = canonicalize(v);
  }
  return out;
}

/** Encodes a value as deterministic CBOR. */
export function encodeCbor(value: unknown): Uint8Array {
  const buf = encoder.encode(canonicalize(value));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Decodes untrusted bytes to an unknown value, enforcing the limits. */
export function decodeCborUnknown(bytes: Uint8Array, limits: DecodeLimits = {}): unknown {
  const maxBytes = limits.maxMessageBytes ?? CODEC_LIMITS.maxMessageBytes;
  if (bytes.byteLength > maxBytes) {
    throw new ProtocolError('MESSAGE_TOO_LARGE', `message is ${bytes.byteLength} bytes, limit ${maxBytes}`, {
      details: { bytes: bytes.byteLength, limit: maxBytes },
    });
  }
  scanCbor(bytes, limits.maxDepth ?? CODEC_LIMITS.maxDepth);
  try {
    return decoder.decode(bytes);
  } catch (cause) {
    throw new ProtocolError('CBOR_MALFORMED', 'CBOR decoder rejected the payload', { cause });
  }
}

/** Decodes untrusted bytes and validates them against a schema. */
export function decodeCbor<S extends z.ZodType>(bytes: Uint8Array, schema: S, limits: DecodeLimits = {}): z.output<S> {
  const value = decodeCborUnknown(bytes, limits);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.join('.') || '(root)'}: ${issue.message}`;
    throw new ProtocolError('SCHEMA_INVALID', `payload does not match the schema${where}`, {
      details: { issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return parsed.data;
}
