import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCredentials } from '../../src/enrol/enrol.js';
import { createRootOfTrust } from '../../src/trust/root-of-trust.js';
import { persistedChainVersions, writeCredentials } from '../helpers/credentials.js';
import { manualClock } from '../helpers/manual-clock.js';
import { makeKeys, makeNextRoot, NOW_MS, rotationChain } from '../helpers/signed-docs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** v2 rotates the targets and director keys; v3 also rotates the root key. */
const { keys3, v1, v2, v3 } = rotationChain();

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: { code?: string }) => error.code ?? String(error),
  );

/** A device enrolled at v1 (credentials.json as enrolment left it) and its root of trust. */
async function enrolledAtV1() {
  const stateDir = await temp.make();
  await writeCredentials(stateDir, { deviceId: 'dev-rot-1', root: v1.doc });
  const load = () => loadCredentials({ stateDir, rootPublicKeys: v1.pinnedHex, nowMs: NOW_MS });
  const identity = await load();
  if (identity === undefined) throw new Error('not enrolled');
  const holder = createRootOfTrust({
    root: identity.root,
    stateDir,
    clock: manualClock(),
    logger: pino({ level: 'silent' }),
  });
  return { stateDir, holder, load };
}

describe('root of trust', () => {
  it('follows v2 and v3, persists them (mode 0600), and a restart trusts v3', async () => {
    const { stateDir, holder, load } = await enrolledAtV1();
    expect(holder.body.version).toBe(1);
    expect(await holder.follow([v3, v2])).toBe(2);
    expect(holder.body.version).toBe(3);
    expect([...holder.role('targets').keys.keys()]).toEqual([keys3.targets[0]?.keyId]);
    expect(await persistedChainVersions(stateDir)).toEqual([2, 3]);
    expect((await stat(join(stateDir, 'credentials.json'))).mode & 0o777).toBe(0o600);
    expect((await load())?.root.body.version).toBe(3);
    // Already trusted: nothing applied, nothing appended.
    expect(await holder.follow([v2, v3])).toBe(0);
    expect(await persistedChainVersions(stateDir)).toEqual([2, 3]);
  });

  it('refuses a gap and a forged root, and trusts and persists nothing', async () => {
    const { stateDir, holder, load } = await enrolledAtV1();
    expect(await codeOf(holder.follow([v3]))).toBe('ROOT_CHAIN_INVALID');
    const stranger = makeKeys(9);
    const forged = makeNextRoot(stranger, { version: 2, previous: stranger });
    expect(await codeOf(holder.follow([forged]))).toBe('KEY_UNKNOWN');
    expect(holder.body.version).toBe(1);
    expect(await persistedChainVersions(stateDir)).toEqual([]);
    expect((await load())?.root.body.version).toBe(1);
  });

  it('does not trust a root it could not persist', async () => {
    const { stateDir, holder } = await enrolledAtV1();
    await rm(join(stateDir, 'credentials.json'));
    expect(await codeOf(holder.follow([v2]))).toBe('INTERNAL');
    expect(holder.body.version).toBe(1);
  });

  it('runs follows one at a time, so concurrent messages apply each root once', async () => {
    const { stateDir, holder } = await enrolledAtV1();
    expect(await Promise.all([holder.follow([v2]), holder.follow([v2, v3])])).toEqual([1, 1]);
    expect(holder.body.version).toBe(3);
    expect(await persistedChainVersions(stateDir)).toEqual([2, 3]);
  });
});
