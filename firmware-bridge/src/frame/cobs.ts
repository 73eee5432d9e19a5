/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM ToN 1999): re-encodes a frame so it contains
 * no 0x00 byte, at a cost of at most one byte per 254, which lets 0x00 delimit frames on the serial line. A
 * receiver that joins mid-stream, or loses bytes, resynchronises at the next 0x00.
 */

/** Encodes `input` without any zero byte (the caller appends the 0x00 delimiter). */
export function cobsEncode(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length + Math.ceil(input.length / 254) + 1);
  let codeAt = 0;
  let code = 1;
  let at = 1;
  for (const byte of input) {
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = at++;
      code = 1;
      continue;
    }
    out[at++] = byte;
    code++;
    if (code === 0xff) {
      out[codeAt] = code;
      codeAt = at++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, at);
}

/** Decodes one frame (delimiter removed); null when the bytes cannot be a COBS encoding. */
export function cobsDecode(input: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(input.length);
  let at = 0;
  let i = 0;
  while (i < input.length) {
    const code = input[i] as number;
    if (code === 0 || i + code > input.length) return null;
    for (let k = 1; k < code; k++) {
      const byte = input[i + k] as number;
      if (byte === 0) return null;
      out[at++] = byte;
    }
    i += code;
    if (code !== 0xff && i < input.length) out[at++] = 0;
  }
  return out.subarray(0, at);
}
