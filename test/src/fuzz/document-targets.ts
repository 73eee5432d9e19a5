/**
 * Fuzz targets for the signed documents an agent verifies (DESIGN.md §3): model manifests (targets role),
 * desired states (director role) and root metadata (pinned root keys). Two kinds of input per document:
 * - forged: the signed document's bytes mutated without the key — an accepted one must carry exactly the
 *   original signed body (a signature covers the bytes, so anything else is a forgery that got through);
 * - re-signed: the body mutated and signed again with the real keys, which isolates the schema and the
 *   semantic checks — an accepted body must be strictly valid CBOR whose value passes the schema and the
 *   rules restated here independently (not expired, chunk count, addressee, slot = manifest line, keys).
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import {
  buildRootDocument,
  chunkBundle,
  DEVICE_ID_PATTERN,
  decodeCbor,
  desiredBodySchema,
  encodeCbor,
  generateSigningKey,
  keyIdOf,
  type ManifestBody,
  manifestBodySchema,
  pinnedRootKeys,
  type RootKeys,
  rootBodySchema,
  type SignedDocument,
  signDocument,
  signedDocumentSchema,
  trustedRootFrom,
  verifyDesired,
  verifyManifest,
  verifyRootDocument,
} from '@edgefleet/protocol';
import fc from 'fast-check';
import type { z } from 'zod';
import { FuzzFinding, type FuzzTarget, rejectsCleanly } from './fuzz-target.js';
import { byteMutant, treeMutant } from './mutations.js';
import { strictDecode, toNode } from './strict-cbor.js';

const NOW = Date.UTC(2026, 10, 23);
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const DAY_MS = 86_400_000;
const DEVICE = 'dev-1';

const keys: RootKeys = {
  root: [generateSigningKey(new Uint8Array(32).fill(1))],
  targets: [generateSigningKey(new Uint8Array(32).fill(2))],
  director: [generateSigningKey(new Uint8Array(32).fill(3))],
};
const rootDoc = buildRootDocument({ keys, version: 1, issuedAt: NOW, expiresAt: NOW + 365 * DAY_MS });
const pinned = pinnedRootKeys(keys.root.map((k) => k.publicKey));
const root = verifyRootDocument(rootDoc, pinned, NOW);

const bundle = chunkBundle(new Uint8Array(3000).fill(7), 1024);
const manifestBody: ManifestBody = {
  _type: 'manifest',
  line: 'iris',
  version: 2,
  digest: bundle.digest,
  sizeBytes: bundle.sizeBytes,
  chunkBytes: bundle.chunkBytes,
  chunks: [...bundle.chunks],
  runtime: 'onnx',
  quantization: 'none',
  inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }],
  modelBytes: 2900,
  selfTest: { vectors: 1, bytes: 100, tolerance: { probabilities: { atol: 1e-4, rtol: 0 } } },
  lineage: { parents: [1], source: 'upload', contentOf: null },
  createdAt: NOW,
  expiresAt: NOW + 30 * DAY_MS,
};
const manifestDoc = signDocument(manifestBody, keys.targets);
const desiredBody = {
  _type: 'desired',
  deviceId: DEVICE,
  seq: 4,
  issuedAt: NOW,
  expiresAt: NOW + DAY_MS,
  rolloutId: 'r-1',
  assignments: [{ line: 'iris', manifest: manifestDoc }],
};
desiredBodySchema.parse(desiredBody);

type DocInput =
  | { readonly kind: 'forged'; readonly bytes: Uint8Array }
  | { readonly kind: 'resigned'; readonly body: Uint8Array };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface DocumentSpec {
  readonly name: string;
  readonly body: unknown;
  readonly signers: RootKeys['targets'];
  readonly schema: z.ZodType;
  verify(doc: SignedDocument): unknown;
  /** The semantic rules an accepted body must satisfy, restated apart from the product. */
  invariant(body: Record<string, unknown>): string | null;
}

function documentTarget(spec: DocumentSpec): FuzzTarget<DocInput> {
  const signed = signDocument(spec.body, spec.signers);
  const signedBytes = encodeCbor(signed);
  const bodyNode = toNode(spec.body);
  const input: fc.Arbitrary<DocInput> = fc.oneof(
    fc.oneof(treeMutant(toNode(signed)), byteMutant(signedBytes)).map((bytes) => ({ kind: 'forged', bytes }) as const),
    treeMutant(bodyNode).map((body) => ({ kind: 'resigned', body }) as const),
  );
  return {
    name: spec.name,
    input,
    check(inputCase) {
      if (inputCase.kind === 'forged') {
        const outcome = rejectsCleanly(() => spec.verify(decodeCbor(inputCase.bytes, signedDocumentSchema)));
        if (outcome.verdict === 'rejected') return 'rejected';
        const doc = decodeCbor(inputCase.bytes, signedDocumentSchema);
        if (!sameBytes(doc.body, signed.body)) throw new FuzzFinding('accepted-invalid', 'a forged body verified');
        return 'accepted';
      }
      const doc: SignedDocument = {
        body: inputCase.body,
        sigs: signBytes(inputCase.body, spec.signers),
      };
      const outcome = rejectsCleanly(() => spec.verify(doc));
      if (outcome.verdict === 'rejected') return 'rejected';
      const oracle = strictDecode(inputCase.body);
      if (!oracle.ok) throw new FuzzFinding('accepted-invalid', `accepted a body of invalid CBOR (${oracle.why})`);
      if (!spec.schema.safeParse(oracle.value).success) {
        throw new FuzzFinding('accepted-invalid', 'accepted a body that fails the schema');
      }
      const broken = spec.invariant(oracle.value as Record<string, unknown>);
      if (broken !== null) throw new FuzzFinding('accepted-invalid', broken);
      return 'accepted';
    },
  };
}

/**
 * Ed25519 signatures over exactly `body` (signDocument would re-encode a value; a mutant's bytes must be
 * signed as they are): node:crypto with the RFC 8410 PKCS#8 prefix for a raw 32-byte seed.
 */
function signBytes(body: Uint8Array, signers: RootKeys['targets']): SignedDocument['sigs'] {
  return signers.map((k) => {
    let key = privateKeys.get(k.keyId);
    if (key === undefined) {
      const der = Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(k.secretKey.subarray(0, 32))]);
      key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      privateKeys.set(k.keyId, key);
    }
    return { keyId: k.keyId, sig: new Uint8Array(sign(null, body, key)) };
  });
}
const privateKeys = new Map<string, KeyObject>();

function manifestInvariant(m: Record<string, unknown>): string | null {
  const size = m.sizeBytes as number;
  const chunkBytes = m.chunkBytes as number;
  if ((m.chunks as unknown[]).length !== Math.ceil(size / chunkBytes)) return 'chunk list does not cover the bundle';
  if ((m.expiresAt as number) <= NOW) return 'an expired manifest was accepted';
  if (!DEVICE_ID_PATTERN.test(m.line as string)) return 'a bad model line was accepted';
  return null;
}

export const DOCUMENT_TARGETS = {
  manifest: () =>
    documentTarget({
      name: 'signed manifest',
      body: manifestBody,
      signers: keys.targets,
      schema: manifestBodySchema,
      verify: (doc) => verifyManifest(doc, root, NOW),
      invariant: manifestInvariant,
    }),
  desired: () =>
    documentTarget({
      name: 'signed desired state',
      body: desiredBody,
      signers: keys.director,
      schema: desiredBodySchema,
      verify: (doc) => verifyDesired(doc, root, { deviceId: DEVICE, nowMs: NOW }),
      invariant(d) {
        if (d.deviceId !== DEVICE) return 'a desired state for another device was accepted';
        if ((d.expiresAt as number) <= NOW) return 'an expired desired state was accepted';
        for (const a of d.assignments as Array<{ line: string; manifest: SignedDocument }>) {
          const m = strictDecode(a.manifest.body);
          if (!m.ok) return 'an assignment carries an invalid manifest';
          if ((m.value as { line: string }).line !== a.line) return 'mix-and-match: slot and manifest line differ';
          const broken = manifestInvariant(m.value as Record<string, unknown>);
          if (broken !== null) return broken;
        }
        return null;
      },
    }),
  root: () =>
    documentTarget({
      name: 'root metadata',
      body: decodeCbor(rootDoc.body, rootBodySchema),
      signers: keys.root,
      schema: rootBodySchema,
      verify: (doc) => verifyRootDocument(doc, pinned, NOW),
      invariant(r) {
        if ((r.expiresAt as number) <= NOW) return 'an expired root was accepted';
        const body = trustedRootFrom(rootBodySchema.parse(r)).body;
        for (const [id, key] of Object.entries(body.keys)) if (keyIdOf(key) !== id) return 'a key id does not match';
        for (const role of Object.values(body.roles)) {
          if (role.threshold > role.keyIds.length) return 'a threshold above the number of keys';
        }
        return null;
      },
    }),
} as const;
