import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/storage/atomic-file.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe.each(['fsync', 'none'] as const)('writeFileAtomic (durability: %s)', (durability) => {
  it('creates missing parent directories on the first write and replaces the file on the next', async () => {
    const dir = join(await temp.make(), 'a', 'b');
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, '{"v":1}', { durability });
    await writeFileAtomic(path, '{"v":2}', { durability });
    expect(await readFile(path, 'utf8')).toBe('{"v":2}');
    expect(await readdir(dir)).toEqual(['state.json']); // no temp file left behind
  });

  it('writes with the requested mode', async () => {
    const path = join(await temp.make(), 'credentials.json');
    await writeFileAtomic(path, 'secret', { durability, modeOctal: 0o600 });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('fails without leaving a temp file when the target is a directory', async () => {
    const dir = await temp.make();
    const path = join(dir, 'taken');
    await writeFileAtomic(join(path, 'inner'), 'x', { durability });
    await expect(writeFileAtomic(path, 'y', { durability })).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['taken']);
  });
});
