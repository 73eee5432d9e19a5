import { describe, expect, it } from 'vitest';
import {
  buildRootDocument,
  followRootChain,
  pinnedRootKeys,
  type RootKeys,
  resignDocument,
  signDocument,
  trustedRootFrom,
  trustFromPinned,
  verifyManifest,
  verifyRootDocument,
} from '../src/index.js';
import { codeOf, DAY_MS, key, manifestBody, NOW } from './fixtures.js';

const keysAt = (n: number): RootKeys => ({
  root: [key(10 * n)],
  targets: [key(10 * n + 1)],
  director: [key(10 * n + 2)],
});

/** v1 with keysAt(1); v2 rotates targets and director; v3 also rotates the root keys. */
function chain() {
  const v1 = buildRootDocument({ keys: keysAt(1), version: 1, issuedAt: NOW, expiresAt: NOW + DAY_MS });
  const v2Keys = { ...keysAt(2), root: keysAt(1).root };
  const v2 = buildRootDocument({ keys: v2Keys, version: 2, issuedAt: NOW, expiresAt: NOW + 2 * DAY_MS });
  const v3 = buildRootDocument({
    keys: keysAt(3),
    version: 3,
    issuedAt: NOW,
    expiresAt: NOW + 3 * DAY_MS,
    previousRootKeys: v2Keys.root,
  });
  const trusted1 = verifyRootDocument(v1, pinnedRootKeys([keysAt(1).root[0]!.publicKey]), NOW);
  return { v1, v2, v3, trusted1 };
}

describe('root rotation', () => {
  it('follows two rotations in one step, in any order, and retires the old targets key', () => {
    const { v2, v3, trusted1 } = chain();
    const followed = followRootChain(trusted1, [v3, v2, v2], NOW);
    expect(followed.root.body.version).toBe(3);
    expect(followed.applied).toEqual([v2, v3]);
    const manifest = manifestBody();
    expect(verifyManifest(signDocument(manifest, keysAt(3).targets), followed.root, NOW).line).toBe('iris');
    // The stolen-key case: the retired targets key no longer signs anything the device accepts.
    expect(codeOf(() => verifyManifest(signDocument(manifest, keysAt(1).targets), followed.root, NOW))).toBe(
      'KEY_UNKNOWN',
    );
    // Re-signing keeps the signed bytes and swaps only the signatures.
    const old = signDocument(manifest, keysAt(1).targets);
    const resigned = resignDocument(old, keysAt(3).targets);
    expect(resigned.body).toBe(old.body);
    expect(verifyManifest(resigned, followed.root, NOW).version).toBe(manifest.version);
  });

  it('ignores replayed older roots and refuses a gap', () => {
    const { v1, v2, v3, trusted1 } = chain();
    const at2 = followRootChain(trusted1, [v2], NOW).root;
    expect(followRootChain(at2, [v1, v2], NOW).applied).toEqual([]);
    expect(codeOf(() => followRootChain(trusted1, [v3], NOW))).toBe('ROOT_CHAIN_INVALID');
  });

  it('refuses a new root the old root keys did not sign, and one its own new root keys did not sign', () => {
    const { trusted1 } = chain();
    const forged = buildRootDocument({ keys: keysAt(4), version: 2, issuedAt: NOW, expiresAt: NOW + DAY_MS });
    expect(codeOf(() => followRootChain(trusted1, [forged], NOW))).toBe('KEY_UNKNOWN');
    // Signed by the old root only: nobody proved they hold the new root key.
    const half = buildRootDocument({ keys: keysAt(4), version: 2, issuedAt: NOW, expiresAt: NOW + DAY_MS });
    const oldOnly = resignDocument(half, keysAt(1).root);
    expect(codeOf(() => followRootChain(trusted1, [oldOnly], NOW))).toBe('KEY_UNKNOWN');
  });

  it('checks expiry on the final root only (a device back after a long time may pass expired ones)', () => {
    const { v2, v3, trusted1 } = chain();
    const later = NOW + 1.5 * DAY_MS; // v1 expired, v2 not yet
    expect(followRootChain(trusted1, [v2, v3], later).root.body.version).toBe(3);
    expect(codeOf(() => followRootChain(trusted1, [v2, v3], NOW + 4 * DAY_MS))).toBe('DOCUMENT_EXPIRED');
  });

  it('builds trust from the pinned keys: a device pinned to v1, and one provisioned after the root rotated', () => {
    const { v1, v2, v3 } = chain();
    const fromV1 = trustFromPinned([v3, v1, v2], pinnedRootKeys([keysAt(1).root[0]!.publicKey]), NOW);
    expect(fromV1.root.body.version).toBe(3);
    expect(fromV1.applied).toEqual([v1, v2, v3]);
    const fromV3 = trustFromPinned([v1, v2, v3], pinnedRootKeys([keysAt(3).root[0]!.publicKey]), NOW);
    expect(fromV3.applied).toEqual([v3]);
    expect(codeOf(() => trustFromPinned([v1, v2, v3], pinnedRootKeys([key(99).publicKey]), NOW))).toBe('KEY_UNKNOWN');
    expect(trustedRootFrom(fromV3.root.body).role('targets').keys.has(keysAt(3).targets[0]!.keyId)).toBe(true);
  });
});
