import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { openTrustState } from '../../src/trust/trust-state.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
};

describe('trust state (anti-rollback)', () => {
  it('accepts any first version, then refuses a lower one with DOWNGRADE', async () => {
    const trust = await openTrustState({ path: join(await temp.make(), 'trust.json') });
    await trust.accept('iris', { version: 5, digest: A });
    expect(codeOf(() => trust.assertUpgrade('iris', { version: 4, digest: B }))).toBe('DOWNGRADE');
    await expect(trust.accept('iris', { version: 4, digest: B })).rejects.toMatchObject({ code: 'DOWNGRADE' });
    expect(trust.highest('iris')).toEqual({ version: 5, digest: A });
  });

  it('refuses the same version with different content (mix-and-match)', async () => {
    const trust = await openTrustState({ path: join(await temp.make(), 'trust.json') });
    await trust.accept('iris', { version: 5, digest: A });
    expect(codeOf(() => trust.assertUpgrade('iris', { version: 5, digest: B }))).toBe('DOWNGRADE');
    expect(codeOf(() => trust.assertUpgrade('iris', { version: 5, digest: A }))).toBeUndefined();
  });

  it('keeps lines independent', async () => {
    const trust = await openTrustState({ path: join(await temp.make(), 'trust.json') });
    await trust.accept('iris', { version: 5, digest: A });
    expect(codeOf(() => trust.assertUpgrade('wine', { version: 1, digest: B }))).toBeUndefined();
  });

  it('treats a re-delivered desired document as the same, an older or altered one as a replay', async () => {
    const trust = await openTrustState({ path: join(await temp.make(), 'trust.json') });
    const body = new Uint8Array([1, 2, 3]);
    expect(trust.checkDesired(3, body)).toBe('new');
    await trust.recordDesired(3, body);
    expect(trust.checkDesired(3, body)).toBe('same');
    expect(codeOf(() => trust.checkDesired(3, new Uint8Array([9])))).toBe('DOCUMENT_REPLAYED');
    expect(codeOf(() => trust.checkDesired(2, body))).toBe('DOCUMENT_REPLAYED');
    expect(trust.checkDesired(4, body)).toBe('new');
  });

  it.each(['fsync', 'none'] as const)(
    'persists highest versions, the applied seq and failed installs across reopen (durability: %s)',
    async (durability) => {
      const path = join(await temp.make(), 'trust.json');
      const first = await openTrustState({ path, durability });
      await first.accept('iris', { version: 7, digest: A });
      await first.recordDesired(9, new Uint8Array([1]));
      await first.markFailed('iris', { version: 7, digest: A });
      const reopened = await openTrustState({ path });
      expect(reopened.highest('iris')).toEqual({ version: 7, digest: A });
      expect(reopened.appliedSeq()).toBe(9);
      expect(reopened.hasFailed('iris', { version: 7, digest: A })).toBe(true);
      expect(codeOf(() => reopened.checkDesired(8, new Uint8Array([1])))).toBe('DOCUMENT_REPLAYED');
      expect(codeOf(() => reopened.assertUpgrade('iris', { version: 6, digest: B }))).toBe('DOWNGRADE');
    },
  );

  it('refuses to start from a corrupt state file instead of silently resetting protection', async () => {
    const path = join(await temp.make(), 'trust.json');
    await writeFile(path, JSON.stringify({ highest: { iris: { version: 'x' } } }));
    await expect(openTrustState({ path })).rejects.toMatchObject({ code: 'SCHEMA_INVALID' });
  });

  it('remembers failed shadow challengers apart from failed champions', async () => {
    const path = join(await temp.make(), 'trust.json');
    // A file written before shadows existed has no failedShadow record: it still loads.
    await writeFile(path, JSON.stringify({ highest: {}, failed: { iris: { version: 2, digest: A } }, desired: null }));
    const trust = await openTrustState({ path });
    await trust.markFailed('iris', { version: 3, digest: B }, 'shadow');
    expect(trust.hasFailed('iris', { version: 3, digest: B }, 'shadow')).toBe(true);
    expect(trust.hasFailed('iris', { version: 3, digest: B })).toBe(false);
    expect(trust.hasFailed('iris', { version: 2, digest: A })).toBe(true);
    const reopened = await openTrustState({ path });
    expect(reopened.hasFailed('iris', { version: 3, digest: B }, 'shadow')).toBe(true);
  });
});
