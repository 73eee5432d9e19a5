/**
 * The control plane's root of trust: the current root, targets and director keys and the chain of root
 * documents (v1..vN) that devices follow. Rotating a role replaces its keys with fresh ones of the same
 * count and issues root N+1, signed by the old and the new root keys (TUF §5.3); keys the new root does
 * not name are retired, and devices refuse their signatures once they have followed the chain. A root is
 * also re-issued with the same keys when past half its lifetime, so the newest root never expires.
 *
 * With a data directory the state lives in `keys.json` (key-store.ts); a replica sharing that directory
 * notices another replica's rotation on its next signature (the file's mtime) and reloads.
 */
import { statSync } from 'node:fs';
import {
  buildRootDocument,
  decodeCbor,
  ROLE_NAMES,
  type RoleName,
  type RootBody,
  type RootKeys,
  rootBodySchema,
  type SignedDocument,
  type SigningKey,
} from '@edgefleet/protocol';
import { generateKeys, type KeyFile, loadOrCreateKeys, readKeyFile, writeKeyFile } from './key-store.js';

export interface RoleSummary {
  readonly keyIds: readonly string[];
  readonly threshold: number;
}

export interface TrustSummary {
  readonly version: number;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly roles: Readonly<Record<RoleName, RoleSummary>>;
}

export interface RotationResult extends TrustSummary {
  readonly rotated: readonly RoleName[];
  readonly retiredKeyIds: readonly string[];
}

export interface TrustStore {
  /** The current keys of a role (what signs manifests, desired state, root documents). */
  signers(role: RoleName): readonly SigningKey[];
  /** Root documents v1..vN. */
  chain(): readonly SignedDocument[];
  summary(): TrustSummary;
  /** Fresh keys for `roles` (none: the same keys, a new version) and root N+1. */
  rotate(roles: readonly RoleName[]): RotationResult;
  /** Re-issues the root with the same keys when it is past half its lifetime; true when it did. */
  reissueIfDue(): boolean;
}

export interface TrustStoreOptions {
  /** `${dataDir}/keys.json`; without it (explicit keys) everything stays in memory. */
  readonly file?: string;
  readonly keys?: RootKeys;
  readonly thresholds?: Partial<Record<RoleName, number>>;
  readonly ttlMs: number;
  readonly now: () => number;
}

interface State {
  readonly keys: RootKeys;
  readonly chain: readonly SignedDocument[];
  readonly root: RootBody;
}

const bodyOf = (doc: SignedDocument) => decodeCbor(doc.body, rootBodySchema);

export function createTrustStore(options: TrustStoreOptions): TrustStore {
  const { file, now } = options;
  const firstRoot = (keys: RootKeys) =>
    buildRootDocument({
      keys,
      version: 1,
      issuedAt: now(),
      expiresAt: now() + options.ttlMs,
      ...(options.thresholds === undefined ? {} : { thresholds: options.thresholds }),
    });
  const stateOf = (content: KeyFile, fallback?: State): State => {
    // Before the first rotation the keys file holds no chain: v1 is signed at start (as before rotation
    // existed); any v1 signed by these root keys leads a device to the same v2.
    const chain = content.chain ?? fallback?.chain ?? [firstRoot(content.keys)];
    return { keys: content.keys, chain, root: bodyOf(chain[chain.length - 1] as SignedDocument) };
  };
  const mtime = () => (file === undefined ? 0 : statSync(file).mtimeMs);

  let state = stateOf(options.keys !== undefined ? { keys: options.keys } : loadOrCreateKeys(file as string));
  let seen = options.keys !== undefined ? 0 : mtime();

  const current = (): State => {
    if (options.keys !== undefined || file === undefined) return state;
    const at = mtime();
    if (at !== seen) {
      const content = readKeyFile(file);
      if (content !== undefined) state = stateOf(content, state);
      seen = at;
    }
    return state;
  };

  const summaryOf = (root: RootBody): TrustSummary => ({
    version: root.version,
    issuedAt: root.issuedAt,
    expiresAt: root.expiresAt,
    roles: Object.fromEntries(
      ROLE_NAMES.map((name) => [name, { keyIds: root.roles[name].keyIds, threshold: root.roles[name].threshold }]),
    ) as unknown as Record<RoleName, RoleSummary>,
  });

  const rotate = (roles: readonly RoleName[]): RotationResult => {
    const previous = current();
    const fresh = generateKeys(previous.keys);
    const keys = Object.fromEntries(
      ROLE_NAMES.map((name) => [name, roles.includes(name) ? fresh[name] : previous.keys[name]]),
    ) as unknown as RootKeys;
    const doc = buildRootDocument({
      keys,
      version: previous.root.version + 1,
      issuedAt: now(),
      expiresAt: now() + options.ttlMs,
      thresholds: Object.fromEntries(ROLE_NAMES.map((name) => [name, previous.root.roles[name].threshold])),
      previousRootKeys: previous.keys.root,
    });
    const chain = [...previous.chain, doc];
    // Persisted before it is used: a crash after this line restarts with the new keys and the full chain.
    if (options.keys === undefined && file !== undefined) {
      writeKeyFile(file, { keys, chain });
      seen = mtime();
    }
    state = { keys, chain, root: bodyOf(doc) };
    const kept = new Set(ROLE_NAMES.flatMap((name) => keys[name].map((k) => k.keyId)));
    const retiredKeyIds = ROLE_NAMES.flatMap((name) => previous.keys[name].map((k) => k.keyId)).filter(
      (id) => !kept.has(id),
    );
    return { ...summaryOf(state.root), rotated: ROLE_NAMES.filter((n) => roles.includes(n)), retiredKeyIds };
  };

  return {
    signers: (role) => current().keys[role],
    chain: () => current().chain,
    summary: () => summaryOf(current().root),
    rotate,
    reissueIfDue() {
      const { root } = current();
      if (now() < root.issuedAt + (root.expiresAt - root.issuedAt) / 2) return false;
      rotate([]);
      return true;
    },
  };
}
