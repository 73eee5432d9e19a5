/**
 * Crash-safe file writes. Every piece of agent state on disk (credentials, trust state, slot pointers) is
 * replaced by write-to-temp → fsync → rename → fsync(directory): POSIX rename(2) is atomic, so a reader —
 * or the agent after a kill -9 — sees either the old bytes or the new ones, never a torn file. The
 * directory fsync makes the rename itself durable (ext4/xfs otherwise may lose it on power failure).
 *
 * `Durability` 'none' skips the flushes and keeps the rename: for a state directory in RAM (tmpfs), where
 * there is no device to flush to and a power cut loses the directory anyway. The simulator's agents run so —
 * the flushes were ~40 % of the file operations of an install, and each one a thread-pool round trip.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** 'fsync' (default): files and directories are flushed to the device; 'none': state lives in RAM (tmpfs). */
export type Durability = 'fsync' | 'none';

/** Flushes a directory entry table so a preceding rename/create survives a crash. */
export async function fsyncDir(dir: string, durability: Durability = 'fsync'): Promise<void> {
  if (durability === 'none') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a file's data to the device (a copied bundle before its directory is renamed into place). */
export async function fsyncFile(path: string, durability: Durability = 'fsync'): Promise<void> {
  if (durability === 'none') return;
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface WriteOptions {
  readonly modeOctal?: number;
  readonly durability?: Durability | undefined;
}

/** Writes `data` to a new file at `path` and (unless durability is 'none') fsyncs it; not atomic by itself. */
export async function writeFileDurable(path: string, data: string | Uint8Array, options: WriteOptions = {}) {
  const mode = options.modeOctal ?? 0o644;
  if (options.durability === 'none') return writeFile(path, data, { mode });
  const handle = await open(path, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `data` to `path` atomically and durably, creating the parent directory when it is missing (looked
 * at only when the write fails: every later write of the same file finds it).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}) {
  const dir = dirname(path);
  const tmp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const attempt = async () => {
    try {
      await writeFileDurable(tmp, data, options);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  };
  try {
    await attempt();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dir, { recursive: true });
    await attempt();
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await fsyncDir(dir, options.durability);
}

/** Reads a JSON file; undefined when it does not exist. Parse errors propagate (a caller validates). */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as unknown;
}
