/**
 * Reading a model file for a runtime: an installed bundle holds the model in its first `modelBytes` bytes
 * (its self-test set follows), a plain model file is read whole.
 */
import { open, readFile } from 'node:fs/promises';
import type { LoadOptions } from './runtime.js';

export async function readModelFile(load: Pick<LoadOptions, 'modelPath' | 'modelBytes'>): Promise<Uint8Array> {
  if (load.modelBytes === undefined) return new Uint8Array(await readFile(load.modelPath));
  const handle = await open(load.modelPath, 'r');
  try {
    const bytes = new Uint8Array(load.modelBytes);
    const { bytesRead } = await handle.read(bytes, 0, load.modelBytes, 0);
    if (bytesRead !== load.modelBytes) throw new Error(`file ends at ${bytesRead} bytes, before the model does`);
    return bytes;
  } finally {
    await handle.close();
  }
}
