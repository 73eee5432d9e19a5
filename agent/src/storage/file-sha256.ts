/**
 * Streaming sha256 of a file on disk: how a model slot, a finished download and an agent release are
 * checked against the digest their signed manifest names, without holding the file in memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of createReadStream(path)) hash.update(piece as Buffer);
  return hash.digest('hex');
}
