/**
 * sha256 of a file on disk: how a model slot, a finished download and an agent release are checked against
 * the digest their signed manifest names. A small file is read in one buffer of its size; a large one is
 * streamed so that it is never held in memory.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Up to this size a file is hashed from one read: streaming cost two 64 KiB buffers per small model. */
const WHOLE_READ_BYTES = 4 * 1024 * 1024;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > WHOLE_READ_BYTES) {
      for await (const piece of handle.createReadStream({ autoClose: false })) hash.update(piece as Buffer);
      return hash.digest('hex');
    }
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
      if (bytesRead === 0) break; // truncated since the stat: hash what is there
      filled += bytesRead;
    }
    return hash.update(buffer.subarray(0, filled)).digest('hex');
  } finally {
    await handle.close();
  }
}
