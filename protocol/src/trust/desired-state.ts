/**
 * Desired-state documents: per device, which manifest each model line should run. Signed by the director
 * role with a short expiry (Uptane's director metadata), and sequenced so an old document replayed from a
 * retained topic can never undo a newer one.
 */
import { z } from 'zod';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { deviceIdSchema, modelLineSchema, timestampMsSchema } from '../messages/primitives.js';
import { outputComparisonSchema } from '../tensors/output-comparison.js';
import { type ManifestBody, verifyManifest } from './manifest.js';
import type { TrustedRoot } from './root.js';
import { assertNotExpired, type SignedDocument, signedDocumentSchema, verifyDocument } from './signed-document.js';

export const desiredBodySchema = z
  .object({
    _type: z.literal('desired'),
    deviceId: deviceIdSchema,
    seq: z.int().min(1),
    issuedAt: timestampMsSchema,
    expiresAt: timestampMsSchema,
    rolloutId: z.string().max(64).nullable(),
    assignments: z
      .array(
        z.object({
          line: modelLineSchema,
          manifest: signedDocumentSchema,
          /** A challenger to run in shadow beside `manifest`: same inputs, only the champion answers. */
          shadow: signedDocumentSchema.optional(),
          /** How the shadow's answers are compared with the champion's (the rollout plan's `compare`). */
          compare: outputComparisonSchema.optional(),
        }),
      )
      .max(16),
  })
  .refine((d) => new Set(d.assignments.map((a) => a.line)).size === d.assignments.length, {
    message: 'a model line is assigned twice',
    path: ['assignments'],
  });

export type DesiredBody = z.infer<typeof desiredBodySchema>;

export interface VerifiedManifest {
  readonly manifest: ManifestBody;
  readonly doc: SignedDocument;
}

export interface VerifiedDesired {
  readonly body: DesiredBody;
  readonly manifests: ReadonlyMap<string, VerifiedManifest & { readonly shadow?: VerifiedManifest }>;
}

function verifyForSlot(doc: SignedDocument, slot: string, root: TrustedRoot, nowMs: number): VerifiedManifest {
  const manifest = verifyManifest(doc, root, nowMs);
  if (manifest.line !== slot) {
    // Mix-and-match: a valid manifest of another line slotted under this one.
    throw new ProtocolError('SCHEMA_INVALID', `slot ${slot} carries a manifest of ${manifest.line}`, {
      details: { slot, line: manifest.line },
    });
  }
  return { manifest, doc };
}

/** Verifies a desired document for this device: director signature, expiry, addressee, and every manifest. */
export function verifyDesired(
  doc: SignedDocument,
  root: TrustedRoot,
  options: { deviceId: string; nowMs: number },
): VerifiedDesired {
  const body = verifyDocument(doc, root.role('director'), desiredBodySchema);
  if (body.deviceId !== options.deviceId) {
    throw new ProtocolError('WRONG_DEVICE', `desired state is for ${body.deviceId}, not ${options.deviceId}`, {
      details: { addressee: body.deviceId },
    });
  }
  assertNotExpired('desired state', body.expiresAt, options.nowMs);
  const manifests = new Map<string, VerifiedManifest & { shadow?: VerifiedManifest }>();
  for (const assignment of body.assignments) {
    const champion = verifyForSlot(assignment.manifest, assignment.line, root, options.nowMs);
    const shadow =
      assignment.shadow === undefined
        ? undefined
        : verifyForSlot(assignment.shadow, assignment.line, root, options.nowMs);
    manifests.set(assignment.line, shadow === undefined ? champion : { ...champion, shadow });
  }
  return { body, manifests };
}
