/**
 * Signed documents: `{ body, sigs }` where `body` is the canonical CBOR of the document and each signature
 * is ed25519 over exactly those bytes. Verifying the carried bytes (not a re-encoding of the decoded value)
 * means no two implementations ever need to agree on a canonical form to check a signature — TUF's
 * "signed" section, in CBOR. A role is trusted keys plus a threshold (k of n).
 */
import { z } from 'zod';
import { decodeCbor, encodeCbor } from '../cbor/codec.js';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { bytesSchema } from '../messages/primitives.js';
import { signEd25519, verifyEd25519 } from './ed25519.js';
import { keyIdSchema, type SigningKey } from './keys.js';

export const signatureSchema = z.object({ keyId: keyIdSchema, sig: bytesSchema });

export const signedDocumentSchema = z.object({
  body: bytesSchema,
  sigs: z.array(signatureSchema).min(1).max(16),
});

export type SignedDocument = z.infer<typeof signedDocumentSchema>;

export interface RoleKeys {
  /** key id → 32-byte ed25519 public key */
  readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly threshold: number;
}

export function signDocument(body: unknown, signers: readonly SigningKey[]): SignedDocument {
  return resignDocument({ body: encodeCbor(body) }, signers);
}

/** The same signed bytes under new signers (a manifest after the targets key rotated): the body is untouched. */
export function resignDocument(doc: Pick<SignedDocument, 'body'>, signers: readonly SigningKey[]): SignedDocument {
  if (signers.length === 0) throw new RangeError('signing needs at least one key');
  return { body: doc.body, sigs: signers.map((k) => ({ keyId: k.keyId, sig: signEd25519(doc.body, k.secretKey) })) };
}

/** True when exactly these keys signed the document (no verification: for deciding what to re-sign). */
export function isSignedBy(doc: SignedDocument, signers: readonly { readonly keyId: string }[]): boolean {
  return doc.sigs.length === signers.length && signers.every((k) => doc.sigs.some((s) => s.keyId === k.keyId));
}

/** Checks the signatures against a role, then decodes and validates the body. */
export function verifyDocument<S extends z.ZodType>(doc: SignedDocument, role: RoleKeys, schema: S): z.output<S> {
  const valid = new Set<string>();
  let known = 0;
  let failed = 0;
  for (const { keyId, sig } of doc.sigs) {
    const publicKey = role.keys.get(keyId);
    if (publicKey === undefined) continue;
    known++;
    if (verifyEd25519(doc.body, sig, publicKey)) {
      valid.add(keyId);
    } else {
      failed++;
    }
  }
  if (valid.size < role.threshold) {
    const keyIds = doc.sigs.map((s) => s.keyId);
    if (known === 0) {
      throw new ProtocolError('KEY_UNKNOWN', `no signature by a trusted key (signed by ${keyIds.join(', ')})`, {
        details: { keyIds },
      });
    }
    if (failed > 0) {
      throw new ProtocolError('SIGNATURE_INVALID', 'a signature by a trusted key does not verify', {
        details: { keyIds },
      });
    }
    throw new ProtocolError('THRESHOLD_NOT_MET', `${valid.size} valid signatures, threshold ${role.threshold}`, {
      details: { valid: valid.size, threshold: role.threshold },
    });
  }
  return decodeCbor(doc.body, schema);
}

export function assertNotExpired(what: string, expiresAt: number, nowMs: number): void {
  if (expiresAt <= nowMs) {
    throw new ProtocolError('DOCUMENT_EXPIRED', `${what} expired at ${new Date(expiresAt).toISOString()}`, {
      details: { expiresAt, now: nowMs },
    });
  }
}
