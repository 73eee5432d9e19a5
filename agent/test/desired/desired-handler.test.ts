import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type EdgefleetError, encodeCbor, generateSigningKey, type RootKeys, systemClock } from '@edgefleet/protocol';
import { tempDirs } from '@edgefleet/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createDesiredHandler } from '../../src/desired/desired-handler.js';
import type { InstallTarget } from '../../src/install/installer.js';
import { createRootOfTrust } from '../../src/trust/root-of-trust.js';
import { openTrustState } from '../../src/trust/trust-state.js';
import { memoryBundle } from '../helpers/bundles.js';
import { persistedChainVersions, writeCredentials } from '../helpers/credentials.js';
import { makeDesiredMessage, makeKeys, makeManifest, makeNextRoot, makeRoot, NOW_MS } from '../helpers/signed-docs.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const DEVICE = 'dev-test-1';
const keys = makeKeys();
const { trusted, doc: rootDoc } = makeRoot(keys);
const bundle = await memoryBundle(new Uint8Array(randomBytes(3000)), () => ({
  data: new Float32Array([1, 0, 0]),
  shape: [1, 3],
}));

async function setup(statePath?: string) {
  const stateDir = await temp.make();
  const path = statePath ?? join(stateDir, 'trust.json');
  const trust = await openTrustState({ path });
  const clock = { ...systemClock, now: () => NOW_MS };
  await writeCredentials(stateDir, { deviceId: DEVICE, root: rootDoc });
  const root = createRootOfTrust({ root: trusted, stateDir, clock, logger: pino({ level: 'silent' }) });
  const rejected: Array<{ code: string; line?: string | undefined }> = [];
  const accepted: InstallTarget[][] = [];
  const handler = createDesiredHandler({
    deviceId: DEVICE,
    root,
    trust,
    clock,
    logger: pino({ level: 'silent' }),
    onRejected: (error: EdgefleetError, context) => rejected.push({ code: error.code, line: context.line }),
    onAccepted: (targets) => accepted.push(targets),
  });
  return { handler, trust, rejected, accepted, path, root, stateDir };
}

const desired = (seq: number, version: number, extra: Partial<Parameters<typeof makeDesiredMessage>[1]> = {}) =>
  makeDesiredMessage(keys, {
    deviceId: DEVICE,
    seq,
    assignments: [{ line: 'iris', manifest: makeManifest(keys, { version, bundle }).doc }],
    ...extra,
  });

describe('desired-state handling', () => {
  it('accepts a correctly signed document and records the highest version before fetching', async () => {
    const { handler, trust, accepted, rejected } = await setup();
    await handler.handle(desired(1, 3));
    expect(rejected).toEqual([]);
    expect(accepted[0]?.map((t) => [t.line, t.manifest.version])).toEqual([['iris', 3]]);
    expect(trust.highest('iris')?.version).toBe(3);
    expect(trust.appliedSeq()).toBe(1);
  });

  it('rejects a downgrade with DOWNGRADE even in a newer, validly signed document', async () => {
    const { handler, accepted, rejected } = await setup();
    await handler.handle(desired(1, 5));
    await handler.handle(desired(2, 4));
    expect(rejected).toEqual([{ code: 'DOWNGRADE', line: 'iris' }]);
    expect(accepted[1]).toEqual([]);
  });

  it('remembers the highest version across restarts, so a downgrade stays refused', async () => {
    const first = await setup();
    await first.handler.handle(desired(1, 5));
    const second = await setup(first.path);
    await second.handler.handle(desired(2, 4));
    expect(second.rejected.map((r) => r.code)).toEqual(['DOWNGRADE']);
  });

  it('rejects a document signed by a key the root does not name for the director role', async () => {
    const { handler, rejected, accepted } = await setup();
    const impostor = generateSigningKey(new Uint8Array(32).fill(99));
    await handler.handle(desired(1, 3, { signers: [impostor] }));
    expect(rejected.map((r) => r.code)).toEqual(['KEY_UNKNOWN']);
    expect(accepted).toEqual([]);
  });

  it('rejects a document whose director signature does not verify (tampered body)', async () => {
    const { handler, rejected } = await setup();
    const good = makeDesiredMessage(keys, { deviceId: DEVICE, seq: 1, assignments: [] });
    const other = makeDesiredMessage(keys, { deviceId: DEVICE, seq: 2, assignments: [] });
    const { decodeCborUnknown } = await import('@edgefleet/protocol');
    const a = decodeCborUnknown(good) as { doc: { body: Uint8Array; sigs: unknown[] } };
    const b = decodeCborUnknown(other) as { doc: { body: Uint8Array; sigs: unknown[] } };
    const forged = encodeCbor({ ...a, doc: { body: b.doc.body, sigs: a.doc.sigs } });
    await handler.handle(forged);
    expect(rejected.map((r) => r.code)).toEqual(['SIGNATURE_INVALID']);
  });

  it('rejects a manifest signed by the director key instead of targets', async () => {
    const { handler, rejected } = await setup();
    const wrongRole = makeManifest({ ...keys, targets: keys.director }, { version: 3, bundle });
    await handler.handle(
      makeDesiredMessage(keys, { deviceId: DEVICE, seq: 1, assignments: [{ line: 'iris', manifest: wrongRole.doc }] }),
    );
    expect(rejected.map((r) => r.code)).toEqual(['KEY_UNKNOWN']);
  });

  it('rejects a replayed older document and an expired or misaddressed one', async () => {
    const { handler, rejected } = await setup();
    await handler.handle(desired(2, 3));
    await handler.handle(desired(1, 3));
    await handler.handle(desired(3, 3, { expiresAt: NOW_MS - 1 }));
    await handler.handle(desired(4, 3, { deviceId: 'dev-other' }));
    expect(rejected.map((r) => r.code)).toEqual(['DOCUMENT_REPLAYED', 'DOCUMENT_EXPIRED', 'WRONG_DEVICE']);
  });

  it('treats the retained document re-delivered on reconnect as the same, not a replay', async () => {
    const { handler, rejected, accepted } = await setup();
    const message = desired(1, 3);
    await handler.handle(message);
    await handler.handle(message);
    expect(rejected).toEqual([]);
    expect(accepted).toHaveLength(2);
  });

  it('rejects malformed CBOR and oversized payloads and keeps handling later documents', async () => {
    const { handler, rejected, accepted } = await setup();
    await handler.handle(new Uint8Array([0xa1, 0x61]));
    await handler.handle(new Uint8Array(300 * 1024));
    await handler.handle(desired(1, 3));
    expect(rejected.map((r) => r.code)).toEqual(['CBOR_MALFORMED', 'MESSAGE_TOO_LARGE']);
    expect(accepted).toHaveLength(1);
  });
});

describe('desired state after a key rotation', () => {
  /** v2 rotates the targets and director keys (the root key stays). */
  const keys2: RootKeys = { ...makeKeys(2), root: keys.root };
  const v2 = makeNextRoot(keys2, { version: 2, previous: keys });
  const rotated = (seq: number, signing: { director: RootKeys; targets: RootKeys; version: number }) =>
    makeDesiredMessage(signing.director, {
      deviceId: DEVICE,
      seq,
      assignments: [
        { line: 'iris', manifest: makeManifest(signing.targets, { version: signing.version, bundle }).doc },
      ],
      roots: [v2],
    });

  it('follows the roots a message carries, then accepts its document signed by the new director key', async () => {
    const { handler, root, stateDir, rejected, accepted } = await setup();
    await handler.handle(rotated(1, { director: keys2, targets: keys2, version: 3 }));
    expect(rejected).toEqual([]);
    expect(accepted[0]?.map((t) => t.manifest.version)).toEqual([3]);
    expect(root.body.version).toBe(2);
    expect(await persistedChainVersions(stateDir)).toEqual([2]);
  });

  it('then refuses the retired director key and a manifest signed by the retired targets key', async () => {
    const { handler, trust, rejected, accepted } = await setup();
    await handler.handle(rotated(1, { director: keys2, targets: keys2, version: 3 }));
    await handler.handle(rotated(2, { director: keys, targets: keys2, version: 4 }));
    await handler.handle(rotated(3, { director: keys2, targets: keys, version: 4 }));
    expect(rejected.map((r) => r.code)).toEqual(['KEY_UNKNOWN', 'KEY_UNKNOWN']);
    expect(accepted).toHaveLength(1);
    expect(trust.appliedSeq()).toBe(1);
    expect(trust.highest('iris')?.version).toBe(3);
  });

  it('does not process a document whose roots do not follow from the trusted one', async () => {
    const { handler, trust, root, rejected, accepted } = await setup();
    const v3 = makeNextRoot(makeKeys(3), { version: 3, previous: keys2 });
    // The document itself is valid under the current root: the broken chain alone refuses it.
    const message = makeDesiredMessage(keys, {
      deviceId: DEVICE,
      seq: 1,
      assignments: [{ line: 'iris', manifest: makeManifest(keys, { version: 3, bundle }).doc }],
      roots: [v3],
    });
    await handler.handle(message);
    const expired = makeNextRoot(keys2, { version: 2, previous: keys, expiresAt: NOW_MS - 1 });
    await handler.handle(makeDesiredMessage(keys2, { deviceId: DEVICE, seq: 2, assignments: [], roots: [expired] }));
    expect(rejected.map((r) => r.code)).toEqual(['ROOT_CHAIN_INVALID', 'DOCUMENT_EXPIRED']);
    expect(accepted).toEqual([]);
    expect(trust.appliedSeq()).toBeNull();
    expect(root.body.version).toBe(1);
  });
});
