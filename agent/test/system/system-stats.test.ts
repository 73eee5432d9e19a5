/**
 * The real SystemStats against the kernel: free disk is what statfs(2) gives an unprivileged writer (never
 * more than the filesystem holds), available memory is positive and never more than the machine has.
 */
import { statfs } from 'node:fs/promises';
import { tmpdir, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createSystemStats } from '../../src/system/system-stats.js';

describe('system stats', () => {
  it('reports the free disk an unprivileged writer has under a path', async () => {
    const free = await createSystemStats().freeDiskBytes(tmpdir());
    const fs = await statfs(tmpdir());
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(fs.blocks * fs.bsize);
  });

  it('reports available memory within what the machine has', () => {
    const available = createSystemStats().availableMemoryBytes();
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(totalmem());
  });

  it('refuses a path that does not exist instead of guessing', async () => {
    await expect(createSystemStats().freeDiskBytes('/no/such/edgefleet/dir')).rejects.toThrow(/ENOENT/);
  });
});
