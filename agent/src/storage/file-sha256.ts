/**
 * sha256 of a file on disk: how a model slot, a finished download and an agent release are checked against
 * the digest their signed manifest names. A small file is read in one buffer of its size; a large one is
 * streamed so that it is never held in memory.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

/** Up to this size a file is hashed from one read: streaming cost two 64 KiB buffers per small model. */
const WHOLE_READ_BYTES = 4 * 1024 * 1024;

export async function sha256File(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    return await sha256Handle(handle, (await handle.stat()).size);
  } finally {
    await handle.close();
  }
}

/** sha256 of the first `size` bytes of an open file (its size, as the caller just learned it), read by position. */
export async function sha256Handle(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash('sha256');
  if (size > WHOLE_READ_BYTES) {
    for await (const piece of handle.createReadStream({ start: 0, end: size - 1, autoClose: false })) {
      hash.update(piece as Buffer);
    }
    return hash.digest('hex');
  }
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break; // truncated since the caller's stat: hash what is there
    filled += bytesRead;
  }
  return hash.update(buffer.subarray(0, filled)).digest('hex');
}
