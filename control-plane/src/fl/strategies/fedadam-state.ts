/**
 * FedAdam's optimizer state on disk: the first and second moment vectors m and v and the number of rounds
 * applied, as a small self-describing binary record (little-endian): magic "EFAD", format version 1, three
 * zero bytes, rounds u32, parameter count u32, then m and v as float32. The 16-byte header keeps the float
 * arrays 4-byte aligned. A saved state is a file or DB blob, i.e. a boundary: decoding checks every field.
 */
import { ControlPlaneError } from '../../errors.js';

export interface FedAdamMoments {
  readonly rounds: number;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

const MAGIC = 0x44414645; // "EFAD" read as a little-endian u32
const FORMAT_VERSION = 1;
const HEADER_BYTES = 16;

export function encodeFedAdamState(state: FedAdamMoments): Uint8Array {
  const length = state.m.length;
  const bytes = new Uint8Array(HEADER_BYTES + 8 * length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint8(4, FORMAT_VERSION);
  view.setUint32(8, state.rounds, true);
  view.setUint32(12, length, true);
  bytes.set(new Uint8Array(state.m.buffer, state.m.byteOffset, 4 * length), HEADER_BYTES);
  bytes.set(new Uint8Array(state.v.buffer, state.v.byteOffset, 4 * length), HEADER_BYTES + 4 * length);
  return bytes;
}

function corrupt(reason: string): ControlPlaneError {
  return new ControlPlaneError('FL_CONFIG_INVALID', `saved FedAdam state is unusable: ${reason}`);
}

export function decodeFedAdamState(bytes: Uint8Array): FedAdamMoments {
  if (bytes.length < HEADER_BYTES) throw corrupt('shorter than its header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0, true) !== MAGIC) throw corrupt('not a FedAdam state record');
  if (view.getUint8(4) !== FORMAT_VERSION) throw corrupt(`unknown format version ${view.getUint8(4)}`);
  const rounds = view.getUint32(8, true);
  const length = view.getUint32(12, true);
  if (bytes.length !== HEADER_BYTES + 8 * length) throw corrupt('length does not match its parameter count');
  // Copy: the input may sit at an unaligned offset, and the state must not alias the caller's buffer.
  const floats = new Float32Array(new Uint8Array(bytes.subarray(HEADER_BYTES)).buffer);
  const m = floats.slice(0, length);
  const v = floats.slice(length);
  for (let i = 0; i < length; i++) {
    const mi = m[i] as number;
    const vi = v[i] as number;
    if (mi - mi !== 0 || !(vi >= 0 && vi < Number.POSITIVE_INFINITY)) throw corrupt(`moment ${i} is not finite`);
  }
  return { rounds, m, v };
}
