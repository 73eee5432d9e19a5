/**
 * Root rotation (TUF §5.3): a client that trusts root version N accepts N+1 only when it is signed by a
 * threshold of N's root keys (the old root vouches for the new one) and by a threshold of its own root keys
 * (the new keys are held by whoever published it). Versions go up by exactly one, so a device that was
 * offline through several rotations walks the chain document by document; a document at or below the
 * trusted version is ignored, so a replayed old root can never roll trust back. Once the new root is
 * trusted, keys it no longer names are retired: their signatures are refused (`KEY_UNKNOWN`), which is
 * what makes rotation the answer to a stolen targets or director key.
 */
import { decodeCbor } from '../cbor/codec.js';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { type RootBody, rootBodySchema, type TrustedRoot, trustedRootFrom } from './root.js';
import { assertNotExpired, type RoleKeys, type SignedDocument, verifyDocument } from './signed-document.js';

/** The version a root document claims, read before its signatures are checked (for ordering only). */
export function claimedRootVersion(doc: SignedDocument): number {
  return decodeCbor(doc.body, rootBodySchema).version;
}

/** Root N+1 from trusted root N: signed by N's root threshold and by its own, version exactly N+1. */
export function nextTrustedRoot(trusted: TrustedRoot, doc: SignedDocument): TrustedRoot {
  const body = verifyDocument(doc, trusted.role('root'), rootBodySchema);
  if (body.version !== trusted.body.version + 1) {
    throw new ProtocolError(
      'ROOT_CHAIN_INVALID',
      `root v${body.version} does not follow the trusted root v${trusted.body.version}`,
      { details: { trusted: trusted.body.version, version: body.version } },
    );
  }
  const next = trustedRootFrom(body);
  verifyDocument(doc, next.role('root'), rootBodySchema);
  return next;
}

export interface FollowedChain {
  readonly root: TrustedRoot;
  /** The documents that moved trust forward, in order (what a client persists beside its first root). */
  readonly applied: readonly SignedDocument[];
}

/**
 * Walks `docs` (any order, duplicates and stale versions allowed) from `trusted` as far as it goes. A gap
 * (N+2 without N+1) or a bad signature throws; the final root must not be expired (freeze attack), the
 * ones passed on the way may be.
 */
export function followRootChain(trusted: TrustedRoot, docs: readonly SignedDocument[], nowMs: number): FollowedChain {
  const byVersion = new Map<number, SignedDocument>();
  for (const doc of docs) {
    const version = claimedRootVersion(doc);
    if (version > trusted.body.version && !byVersion.has(version)) byVersion.set(version, doc);
  }
  let root = trusted;
  const applied: SignedDocument[] = [];
  for (const version of [...byVersion.keys()].sort((a, b) => a - b)) {
    if (version !== root.body.version + 1) {
      throw new ProtocolError('ROOT_CHAIN_INVALID', `root chain has a gap: v${root.body.version + 1} is missing`, {
        details: { trusted: root.body.version, next: version },
      });
    }
    const doc = byVersion.get(version) as SignedDocument;
    root = nextTrustedRoot(root, doc);
    applied.push(doc);
  }
  if (applied.length > 0) assertNotExpired(`root v${root.body.version}`, root.body.expiresAt, nowMs);
  return { root, applied };
}

/**
 * The trust a freshly provisioned client builds from a chain: the first document its pinned keys sign
 * (v1 for a device pinned at the start, a later one for a device provisioned after a root rotation) and
 * every later document that follows from it. Expiry is checked on the final root only.
 */
export function trustFromPinned(docs: readonly SignedDocument[], pinned: RoleKeys, nowMs: number): FollowedChain {
  // Each claimed version decoded once, not once per comparison.
  const ordered = docs
    .map((doc) => ({ doc, version: claimedRootVersion(doc) }))
    .sort((a, b) => a.version - b.version)
    .map((entry) => entry.doc);
  let firstError: unknown;
  for (const [index, doc] of ordered.entries()) {
    let anchor: RootBody;
    try {
      anchor = verifyDocument(doc, pinned, rootBodySchema);
    } catch (error) {
      firstError ??= error;
      continue;
    }
    const followed = followRootChain(trustedRootFrom(anchor), ordered.slice(index + 1), nowMs);
    assertNotExpired(`root v${followed.root.body.version}`, followed.root.body.expiresAt, nowMs);
    return { root: followed.root, applied: [doc, ...followed.applied] };
  }
  throw firstError ?? new ProtocolError('ROOT_CHAIN_INVALID', 'no root document given');
}
