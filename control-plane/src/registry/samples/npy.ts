/**
 * Reads a NumPy `.npy` file (the format `numpy.save` writes, NEP 1: versions 1.0 to 3.0) into a tensor, so
 * sample inputs can be uploaded as the array a data scientist already has. Only what a model contract can
 * hold is accepted: little-endian float32, float16, int8, uint8, int32, int64 and bool, in C order. The
 * header is a Python dict literal; it is matched field by field rather than evaluated.
 */
import {
  ARRAY_OF,
  BYTES_PER_ELEMENT,
  elementCount,
  TENSOR_LIMITS,
  type Tensor,
  type TensorDType,
} from '@edgefleet/protocol';
import { ControlPlaneError } from '../../errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** NumPy type strings (`descr`) → element types; `|` marks a type without byte order. */
const DESCR: Readonly<Record<string, TensorDType>> = Object.freeze({
  '<f4': 'float32',
  '<f2': 'float16',
  '|i1': 'int8',
  '<i1': 'int8',
  '|u1': 'uint8',
  '<u1': 'uint8',
  '<i4': 'int32',
  '<i8': 'int64',
  '|b1': 'bool',
});

/** A malformed file; parseNpy names the upload part it came in. */
class NpyFormatError extends Error {}

function invalid(message: string): NpyFormatError {
  return new NpyFormatError(message);
}

export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

// numpy writes the header in ASCII (latin-1 for v1/v2, UTF-8 for v3); the fields read here are ASCII in all.
const ascii = new TextDecoder('utf-8');

function headerOf(bytes: Uint8Array): { header: string; dataOffset: number } {
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1 && bytes.byteLength >= 10) {
    const length = view.getUint16(8, true);
    return { header: ascii.decode(bytes.subarray(10, 10 + length)), dataOffset: 10 + length };
  }
  if ((major === 2 || major === 3) && bytes.byteLength >= 12) {
    const length = view.getUint32(8, true);
    return { header: ascii.decode(bytes.subarray(12, 12 + length)), dataOffset: 12 + length };
  }
  throw invalid(`format version ${major} is not one numpy writes (1, 2 or 3)`);
}

function field(header: string, name: string): string {
  const match = new RegExp(`['"]${name}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  if (match?.[1] === undefined) throw invalid(`header has no ${name}`);
  return match[1];
}

function shapeOf(literal: string): number[] {
  const inner = literal.slice(1, -1).trim();
  if (inner === '') return [];
  const dims = inner
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : Number.NaN));
  if (dims.some((d) => !Number.isSafeInteger(d)) || dims.length > TENSOR_LIMITS.maxRank + 1) {
    throw invalid(`shape ${literal} is not a tuple of at most ${TENSOR_LIMITS.maxRank + 1} sizes`);
  }
  return dims;
}

/**
 * The array in the file as one tensor (its first axis is for the caller to interpret); a malformed file is
 * BODY_INVALID naming `part` (the multipart part it came in: `samples` or `evaluation`).
 */
export function parseNpy(bytes: Uint8Array, part = 'samples'): Tensor {
  try {
    return readNpy(bytes);
  } catch (cause) {
    if (!(cause instanceof NpyFormatError)) throw cause;
    throw new ControlPlaneError('BODY_INVALID', `part \`${part}\` (.npy): ${cause.message}`, { cause });
  }
}

function readNpy(bytes: Uint8Array): Tensor {
  if (!isNpy(bytes)) throw invalid('not a .npy file (no \\x93NUMPY magic)');
  const { header, dataOffset } = headerOf(bytes);
  const descr = field(header, 'descr').slice(1, -1);
  const type = DESCR[descr];
  if (type === undefined) {
    throw invalid(`element type ${descr} is not supported; use one of ${Object.keys(DESCR).join(', ')}`);
  }
  if (field(header, 'fortran_order') !== 'False') {
    throw invalid('Fortran-order arrays are not supported; save numpy.ascontiguousarray(array)');
  }
  const dims = shapeOf(field(header, 'shape'));
  const count = elementCount(dims);
  if (count > TENSOR_LIMITS.maxElements) throw invalid(`${count} elements, at most ${TENSOR_LIMITS.maxElements}`);
  const width = BYTES_PER_ELEMENT[type];
  const data = bytes.subarray(dataOffset);
  if (data.byteLength !== count * width) {
    throw invalid(`holds ${data.byteLength} data bytes, shape (${dims.join(', ')}) of ${descr} needs ${count * width}`);
  }
  // A copy: the file's bytes are rarely aligned for the element type, and the tensor must own its data.
  const copy = data.slice();
  const values = new ARRAY_OF[type](copy.buffer, 0, count);
  return { type, data: values, dims } as Tensor;
}
