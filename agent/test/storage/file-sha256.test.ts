import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/storage/file-sha256.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe('sha256File', () => {
  // Empty, small (one read) and larger than the one-read limit (streamed).
  it.each([0, 1, 70_000, 5 * 1024 * 1024 + 3])('hashes a file of %i bytes like sha256 of its content', async (size) => {
    const bytes = randomBytes(size);
    const path = join(await temp.make(), 'file.bin');
    await writeFile(path, bytes);
    expect(await sha256File(path)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('rejects for a missing file', async () => {
    await expect(sha256File(join(await temp.make(), 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
