/**
 * A structural pre-scan of CBOR bytes (RFC 8949 §3) run before cbor-x decodes anything. cbor-x recurses
 * without a depth bound and trusts declared lengths, so hostile bytes could exhaust the stack or make it
 * allocate; this walk is iterative, allocation-free, and proves the input is exactly one well-formed item
 * within the nesting limit. It also refuses what edgefleet never sends: indefinite lengths, tags, simple
 * values other than false/true/null, and the `__proto__` map key (prototype pollution on decode) — and what
 * cbor-x would silently turn into a valid-looking value (found by the parser fuzzer): text that is not valid
 * UTF-8 (RFC 8949 §3.1 major type 3; cbor-x substitutes U+FFFD), map keys that are not text (cbor-x makes
 * `1` the key "1") and duplicate map keys (§5.6; cbor-x keeps the last, so two parsers could read one
 * signed document differently).
 */
import { ProtocolError } from '../errors/edgefleet-error.js';

const PROTO_KEY = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

interface Frame {
  remaining: number; // items still to read in this container
  isMap: boolean;
  consumed: number; // items read so far (maps: even index = key)
  keys: Set<string> | null; // a map's keys so far (latin1 of their UTF-8 bytes)
}

/** Well-formed UTF-8 per RFC 3629 §4 (no overlongs, no surrogates, nothing above U+10FFFF). */
function isUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return false;
    if (i + n >= end) return false;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k] as number;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return false;
    }
    i += n + 1;
  }
  return true;
}

function malformed(message: string, offset: number): ProtocolError {
  return new ProtocolError('CBOR_MALFORMED', `${message} at byte ${offset}`, { details: { offset } });
}

function readArgument(bytes: Uint8Array, offset: number, info: number): { value: number; next: number } {
  if (info < 24) return { value: info, next: offset };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0) throw malformed(`reserved or indefinite additional info ${info}`, offset);
  if (offset + size > bytes.length) throw malformed('truncated length', offset);
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + (bytes[offset + i] as number);
  return { value, next: offset + size };
}

export function scanCbor(bytes: Uint8Array, maxDepth: number): void {
  const stack: Frame[] = [];
  let offset = 0;
  let done = false;
  while (!done) {
    if (offset >= bytes.length) throw malformed('unexpected end of input', offset);
    const start = offset;
    const initial = bytes[offset++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    const parent = stack[stack.length - 1];
    const isKey = parent?.isMap === true && parent.consumed % 2 === 0;
    let opened: Frame | null = null;
    if (major === 7) {
      // simple values and floats: 20-23 simple, 25/26/27 half/single/double
      // false, true, null, or a half/single/double float; nothing else is ever sent
      const size = info >= 20 && info <= 22 ? 0 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
      if (size < 0) throw malformed(`unsupported simple/break value ${info}`, start);
      if (isKey) throw malformed('map key is not a text string', start);
      offset += size;
      if (offset > bytes.length) throw malformed('truncated float', start);
    } else if (major === 6) {
      throw malformed('CBOR tags are not accepted', start);
    } else {
      const arg = readArgument(bytes, offset, info);
      offset = arg.next;
      if (isKey && major !== 3) throw malformed('map key is not a text string', start);
      if (major === 2 || major === 3) {
        if (arg.value > bytes.length - offset) throw malformed('string longer than input', start);
        if (major === 3 && !isUtf8(bytes, offset, offset + arg.value))
          throw malformed('text is not valid UTF-8', start);
        if (isKey && parent !== undefined) {
          if (arg.value === PROTO_KEY.length && PROTO_KEY.every((b, i) => bytes[offset + i] === b)) {
            throw malformed('forbidden map key __proto__', start);
          }
          let key = '';
          for (let i = offset; i < offset + arg.value; i++) key += String.fromCharCode(bytes[i] as number);
          parent.keys ??= new Set();
          if (parent.keys.has(key)) throw malformed('duplicate map key', start);
          parent.keys.add(key);
        }
        offset += arg.value;
      } else if (major === 4 || major === 5) {
        const items = major === 5 ? arg.value * 2 : arg.value;
        // Each item needs at least one byte, so a longer declared count is a lie we can refuse now.
        if (items > bytes.length - offset) throw malformed('container longer than input', start);
        if (items > 0) opened = { remaining: items, isMap: major === 5, consumed: 0, keys: null };
      }
    }
    if (opened !== null) {
      if (stack.length + 1 > maxDepth) {
        throw new ProtocolError('MESSAGE_TOO_DEEP', `nesting exceeds ${maxDepth} levels at byte ${start}`, {
          details: { maxDepth, offset: start },
        });
      }
      stack.push(opened);
      continue;
    }
    // An item finished: close every container it completes.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        done = true;
        break;
      }
      top.consumed++;
      top.remaining--;
      if (top.remaining > 0) break;
      stack.pop();
    }
  }
  if (offset !== bytes.length) throw malformed('trailing bytes after the message', offset);
}
