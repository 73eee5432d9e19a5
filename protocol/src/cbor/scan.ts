/**
 * A structural pre-scan of CBOR bytes (RFC 8949 §3) run before cbor-x decodes anything. cbor-x recurses
 * without a depth bound and trusts declared lengths, so hostile bytes could exhaust the stack or make it
 * allocate; this walk is iterative, allocation-free, and proves the input is exactly one well-formed item
 * within the nesting limit. It also refuses what edgefleet never sends: indefinite lengths, tags, and the
 * `__proto__` map key (prototype pollution on decode).
 */
import { ProtocolError } from '../errors/edgefleet-error.js';

const PROTO_KEY = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

interface Frame {
  remaining: number; // items still to read in this container
  isMap: boolean;
  consumed: number; // items read so far (maps: even index = key)
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
      const size = info < 24 ? 0 : info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
      if (size < 0) throw malformed(`unsupported simple/break value ${info}`, start);
      offset += size;
      if (offset > bytes.length) throw malformed('truncated float', start);
    } else if (major === 6) {
      throw malformed('CBOR tags are not accepted', start);
    } else {
      const arg = readArgument(bytes, offset, info);
      offset = arg.next;
      if (major === 2 || major === 3) {
        if (arg.value > bytes.length - offset) throw malformed('string longer than input', start);
        if (isKey && major === 3 && arg.value === PROTO_KEY.length) {
          if (PROTO_KEY.every((b, i) => bytes[offset + i] === b)) throw malformed('forbidden map key __proto__', start);
        }
        offset += arg.value;
      } else if (major === 4 || major === 5) {
        const items = major === 5 ? arg.value * 2 : arg.value;
        // Each item needs at least one byte, so a longer declared count is a lie we can refuse now.
        if (items > bytes.length - offset) throw malformed('container longer than input', start);
        if (items > 0) opened = { remaining: items, isMap: major === 5, consumed: 0 };
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
