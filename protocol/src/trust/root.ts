/**
 * The root document (TUF root, Uptane style): lists the public keys and thresholds of the three roles —
 * root (signs root documents; pinned on the agent at provisioning), targets (signs model manifests) and
 * director (signs per-device desired state). Rotating targets or director keys is a new root document
 * signed by the current root threshold; the agent never trusts a key that no verified root names.
 */
import { z } from 'zod';
import { bytesSchema, timestampMsSchema, versionSchema } from '../messages/primitives.js';
import { keyIdOf, keyIdSchema, type SigningKey } from './keys.js';
import {
  assertNotExpired,
  type RoleKeys,
  type SignedDocument,
  signDocument,
  verifyDocument,
} from './signed-document.js';

export const ROLE_NAMES = ['root', 'targets', 'director'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

const roleSchema = z.object({ keyIds: z.array(keyIdSchema).min(1).max(16), threshold: z.int().min(1).max(16) });

export const rootBodySchema = z
  .object({
    _type: z.literal('root'),
    version: versionSchema,
    issuedAt: timestampMsSchema,
    expiresAt: timestampMsSchema,
    keys: z.record(
      keyIdSchema,
      bytesSchema.refine((k) => k.length === 32, 'ed25519 keys are 32 bytes'),
    ),
    roles: z.object({ root: roleSchema, targets: roleSchema, director: roleSchema }),
  })
  .superRefine((root, ctx) => {
    for (const [id, key] of Object.entries(root.keys)) {
      if (keyIdOf(key) !== id)
        ctx.addIssue({ code: 'custom', path: ['keys', id], message: 'key id does not match key' });
    }
    for (const name of ROLE_NAMES) {
      const role = root.roles[name];
      if (role.threshold > role.keyIds.length) {
        ctx.addIssue({ code: 'custom', path: ['roles', name], message: 'threshold exceeds number of keys' });
      }
      for (const id of role.keyIds) {
        if (!(id in root.keys)) ctx.addIssue({ code: 'custom', path: ['roles', name], message: `unknown key ${id}` });
      }
    }
  });

export type RootBody = z.infer<typeof rootBodySchema>;

export interface TrustedRoot {
  readonly body: RootBody;
  role(name: RoleName): RoleKeys;
}

export interface RootKeys {
  readonly root: readonly SigningKey[];
  readonly targets: readonly SigningKey[];
  readonly director: readonly SigningKey[];
}

export function buildRootDocument(options: {
  keys: RootKeys;
  version: number;
  issuedAt: number;
  expiresAt: number;
  thresholds?: Partial<Record<RoleName, number>>;
  /** The previous root's keys, when this document rotates them: both sets sign (TUF §5.3). */
  previousRootKeys?: readonly SigningKey[];
}): SignedDocument {
  const keys: Record<string, Uint8Array> = {};
  const roles = {} as Record<RoleName, { keyIds: string[]; threshold: number }>;
  for (const name of ROLE_NAMES) {
    for (const k of options.keys[name]) keys[k.keyId] = k.publicKey;
    roles[name] = { keyIds: options.keys[name].map((k) => k.keyId), threshold: options.thresholds?.[name] ?? 1 };
  }
  const body: RootBody = {
    _type: 'root',
    version: options.version,
    issuedAt: options.issuedAt,
    expiresAt: options.expiresAt,
    keys,
    roles,
  };
  const signers = new Map(options.keys.root.map((k) => [k.keyId, k]));
  for (const k of options.previousRootKeys ?? []) if (!signers.has(k.keyId)) signers.set(k.keyId, k);
  return signDocument(body, [...signers.values()]);
}

export function trustedRootFrom(body: RootBody): TrustedRoot {
  return {
    body,
    role(name) {
      const role = body.roles[name];
      const keys = new Map<string, Uint8Array>();
      for (const id of role.keyIds) keys.set(id, body.keys[id] as Uint8Array);
      return { keys, threshold: role.threshold };
    },
  };
}

/** Verifies a root document against pinned root keys (the provisioning anchor). */
export function verifyRootDocument(doc: SignedDocument, pinned: RoleKeys, nowMs: number): TrustedRoot {
  const body = verifyDocument(doc, pinned, rootBodySchema);
  assertNotExpired('root document', body.expiresAt, nowMs);
  return trustedRootFrom(body);
}

/** The pinned-key form of a set of public keys (what an agent's config holds). */
export function pinnedRootKeys(publicKeys: readonly Uint8Array[], threshold = 1): RoleKeys {
  return { keys: new Map(publicKeys.map((k) => [keyIdOf(k), k])), threshold };
}
