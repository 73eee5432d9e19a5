/**
 * The signed manifest of an agent release artifact (`edgefleet-agent-<version>-linux-<arch>.tar.gz`):
 * every file of the artifact with its SHA-256 and size, signed by the targets role — the same root of trust
 * as model bundles — and shipped with the root documents that lead to that role from a device's pinned
 * root keys. `edgefleet-agent install-service` verifies both before it installs a single file.
 */
import { z } from 'zod';
import { decodeCbor } from '../cbor/codec.js';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { trustFromPinned } from './root-chain.js';
import type { RoleKeys, SignedDocument } from './signed-document.js';
import { signedDocumentSchema, verifyDocument } from './signed-document.js';

/** The file in the artifact that holds `{ manifest, roots }` (CBOR). */
export const RELEASE_MANIFEST_FILE = 'release.cbor';

export const releaseFileSchema = z.object({
  path: z
    .string()
    .min(1)
    .max(512)
    .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'a relative path inside the artifact'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.int().nonnegative(),
});

export const releaseManifestSchema = z.object({
  _type: z.literal('agent-release'),
  /** The agent package version. */
  version: z.string().min(1).max(64),
  platform: z.literal('linux'),
  arch: z.string().min(1).max(16),
  /** process.versions.modules of the Node the native modules were built for. */
  nodeAbi: z.string().regex(/^\d+$/),
  createdAt: z.int().nonnegative(),
  files: z.array(releaseFileSchema).min(1).max(20_000),
});
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

export const releaseEnvelopeSchema = z.object({
  manifest: signedDocumentSchema,
  roots: z.array(signedDocumentSchema).min(1).max(64),
});
export type ReleaseEnvelope = z.infer<typeof releaseEnvelopeSchema>;

/** Checks `release.cbor` against pinned root keys: root chain → targets role → manifest signature. */
export function verifyReleaseEnvelope(bytes: Uint8Array, pinned: RoleKeys, nowMs: number): ReleaseManifest {
  let envelope: ReleaseEnvelope;
  try {
    envelope = decodeCbor(bytes, releaseEnvelopeSchema);
  } catch (cause) {
    throw new ProtocolError('SCHEMA_INVALID', `${RELEASE_MANIFEST_FILE} is not a release manifest`, { cause });
  }
  const { root } = trustFromPinned(envelope.roots, pinned, nowMs);
  return verifyDocument(envelope.manifest as SignedDocument, root.role('targets'), releaseManifestSchema);
}
