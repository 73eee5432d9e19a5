import { describe, expect, it } from 'vitest';
import {
  buildRootDocument,
  type DesiredBody,
  decodeCbor,
  encodeCbor,
  pinnedRootKeys,
  signDocument,
  signedDocumentSchema,
  verifyDesired,
  verifyManifest,
  verifyRootDocument,
} from '../src/index.js';
import { codeOf, DAY_MS, key, manifestBody, NOW, rootKeys, trustedRoot } from './fixtures.js';

function desired(keys = rootKeys(), overrides: Partial<DesiredBody> = {}, manifest = manifestBody()) {
  const body: DesiredBody = {
    _type: 'desired',
    deviceId: 'dev-1',
    seq: 1,
    issuedAt: NOW,
    expiresAt: NOW + DAY_MS,
    rolloutId: null,
    assignments: [{ line: manifest.line, manifest: signDocument(manifest, keys.targets) }],
    ...overrides,
  };
  return signDocument(body, keys.director);
}

describe('signed documents', () => {
  it('verifies a manifest signed by the targets key and survives a CBOR round trip of the envelope', () => {
    const keys = rootKeys();
    const doc = signDocument(manifestBody(), keys.targets);
    const wire = decodeCbor(encodeCbor(doc), signedDocumentSchema);
    expect(verifyManifest(wire, trustedRoot(keys), NOW).version).toBe(2);
  });

  it('rejects a body altered after signing', () => {
    const keys = rootKeys();
    const doc = signDocument(manifestBody(), keys.targets);
    const body = Uint8Array.from(doc.body);
    body[body.length - 1] = (body[body.length - 1] as number) ^ 1;
    expect(codeOf(() => verifyManifest({ ...doc, body }, trustedRoot(keys), NOW))).toBe('SIGNATURE_INVALID');
  });

  it('rejects a manifest signed by a key the root does not name (unknown key)', () => {
    expect(codeOf(() => verifyManifest(signDocument(manifestBody(), [key(9)]), trustedRoot(), NOW))).toBe(
      'KEY_UNKNOWN',
    );
  });

  it('rejects a manifest signed by the director key (role separation)', () => {
    const keys = rootKeys();
    expect(codeOf(() => verifyManifest(signDocument(manifestBody(), keys.director), trustedRoot(keys), NOW))).toBe(
      'KEY_UNKNOWN',
    );
  });

  it('rejects an expired manifest', () => {
    const keys = rootKeys();
    const doc = signDocument(manifestBody({ expiresAt: NOW - 1 }), keys.targets);
    expect(codeOf(() => verifyManifest(doc, trustedRoot(keys), NOW))).toBe('DOCUMENT_EXPIRED');
  });

  it('rejects a manifest whose chunk list does not match its size', () => {
    const keys = rootKeys();
    const doc = signDocument(manifestBody({ sizeBytes: 10_000 }), keys.targets);
    expect(codeOf(() => verifyManifest(doc, trustedRoot(keys), NOW))).toBe('SCHEMA_INVALID');
  });

  it('accepts an agent release without tensors or self-test, but refuses a model manifest without a self-test', () => {
    const keys = rootKeys();
    const release = manifestBody({ line: 'agent', runtime: 'agent', inputs: [], outputs: [], selfTest: undefined });
    const verified = verifyManifest(signDocument(release, keys.targets), trustedRoot(keys), NOW);
    expect(verified.runtime).toBe('agent');
    const model = signDocument(manifestBody({ selfTest: undefined }), keys.targets);
    expect(codeOf(() => verifyManifest(model, trustedRoot(keys), NOW))).toBe('SCHEMA_INVALID');
  });

  it('carries the declared memory need of a bundle through signing (older manifests simply have none)', () => {
    const keys = rootKeys();
    const doc = signDocument(manifestBody({ resources: { memoryBytes: 12_345_678 } }), keys.targets);
    expect(verifyManifest(doc, trustedRoot(keys), NOW).resources).toEqual({ memoryBytes: 12_345_678 });
    expect(
      verifyManifest(signDocument(manifestBody(), keys.targets), trustedRoot(keys), NOW).resources,
    ).toBeUndefined();
  });

  it('enforces a k-of-n threshold: one compromised key is not enough', () => {
    const keys = { root: [key(1)], targets: [key(2), key(4), key(5)], director: [key(3)] };
    const rootDoc = buildRootDocument({
      keys,
      version: 1,
      issuedAt: NOW,
      expiresAt: NOW + DAY_MS,
      thresholds: { targets: 2 },
    });
    const root = verifyRootDocument(rootDoc, pinnedRootKeys([key(1).publicKey]), NOW);
    expect(codeOf(() => verifyManifest(signDocument(manifestBody(), [key(2)]), root, NOW))).toBe('THRESHOLD_NOT_MET');
    // the same key twice counts once
    expect(codeOf(() => verifyManifest(signDocument(manifestBody(), [key(2), key(2)]), root, NOW))).toBe(
      'THRESHOLD_NOT_MET',
    );
    expect(verifyManifest(signDocument(manifestBody(), [key(2), key(5)]), root, NOW).line).toBe('iris');
  });

  it('rejects a root document not signed by the pinned root key', () => {
    const keys = rootKeys();
    const forged = buildRootDocument({
      keys: { ...keys, root: [key(8)] },
      version: 2,
      issuedAt: NOW,
      expiresAt: NOW + DAY_MS,
    });
    expect(codeOf(() => verifyRootDocument(forged, pinnedRootKeys([keys.root[0]!.publicKey]), NOW))).toBe(
      'KEY_UNKNOWN',
    );
  });
});

describe('desired state', () => {
  it('verifies the director signature and every embedded manifest', () => {
    const keys = rootKeys();
    const verified = verifyDesired(desired(keys), trustedRoot(keys), { deviceId: 'dev-1', nowMs: NOW });
    expect(verified.manifests.get('iris')?.manifest.version).toBe(2);
  });

  it('rejects a document addressed to another device', () => {
    const keys = rootKeys();
    expect(codeOf(() => verifyDesired(desired(keys), trustedRoot(keys), { deviceId: 'dev-2', nowMs: NOW }))).toBe(
      'WRONG_DEVICE',
    );
  });

  it('rejects an expired desired state (freeze attack)', () => {
    const keys = rootKeys();
    const doc = desired(keys, { expiresAt: NOW - 1 });
    expect(codeOf(() => verifyDesired(doc, trustedRoot(keys), { deviceId: 'dev-1', nowMs: NOW }))).toBe(
      'DOCUMENT_EXPIRED',
    );
  });

  it('rejects a manifest of another line slotted under this one (mix-and-match)', () => {
    const keys = rootKeys();
    const other = manifestBody({ line: 'other' });
    const body: DesiredBody = {
      _type: 'desired',
      deviceId: 'dev-1',
      seq: 1,
      issuedAt: NOW,
      expiresAt: NOW + DAY_MS,
      rolloutId: null,
      assignments: [{ line: 'iris', manifest: signDocument(other, keys.targets) }],
    };
    const doc = signDocument(body, keys.director);
    expect(codeOf(() => verifyDesired(doc, trustedRoot(keys), { deviceId: 'dev-1', nowMs: NOW }))).toBe(
      'SCHEMA_INVALID',
    );
  });

  it('rejects a desired document whose embedded manifest carries a bad signature', () => {
    const keys = rootKeys();
    const manifest = signDocument(manifestBody(), keys.targets);
    const tampered = { ...manifest, sigs: [{ keyId: keys.targets[0]!.keyId, sig: new Uint8Array(64) }] };
    const body: DesiredBody = {
      _type: 'desired',
      deviceId: 'dev-1',
      seq: 1,
      issuedAt: NOW,
      expiresAt: NOW + DAY_MS,
      rolloutId: null,
      assignments: [{ line: 'iris', manifest: tampered }],
    };
    expect(
      codeOf(() =>
        verifyDesired(signDocument(body, keys.director), trustedRoot(keys), { deviceId: 'dev-1', nowMs: NOW }),
      ),
    ).toBe('SIGNATURE_INVALID');
  });

  it('verifies a shadow challenger like the champion and refuses one of another line or with a bad signature', () => {
    const keys = rootKeys();
    const withShadow = (shadow: ReturnType<typeof signDocument>) =>
      signDocument(
        {
          _type: 'desired',
          deviceId: 'dev-1',
          seq: 1,
          issuedAt: NOW,
          expiresAt: NOW + DAY_MS,
          rolloutId: 'r1',
          assignments: [{ line: 'iris', manifest: signDocument(manifestBody(), keys.targets), shadow }],
        } satisfies DesiredBody,
        keys.director,
      );
    const ok = verifyDesired(withShadow(signDocument(manifestBody({ version: 3 }), keys.targets)), trustedRoot(keys), {
      deviceId: 'dev-1',
      nowMs: NOW,
    });
    expect(ok.manifests.get('iris')?.shadow?.manifest.version).toBe(3);
    const otherLine = withShadow(signDocument(manifestBody({ line: 'other', version: 3 }), keys.targets));
    expect(codeOf(() => verifyDesired(otherLine, trustedRoot(keys), { deviceId: 'dev-1', nowMs: NOW }))).toBe(
      'SCHEMA_INVALID',
    );
    const rogue = withShadow(signDocument(manifestBody({ version: 3 }), [key(9)]));
    expect(codeOf(() => verifyDesired(rogue, trustedRoot(keys), { deviceId: 'dev-1', nowMs: NOW }))).toBe(
      'KEY_UNKNOWN',
    );
  });
});

describe('ed25519 implementation', () => {
  it('signs byte-identically to tweetnacl and verifies tweetnacl signatures (RFC 8032 signatures are deterministic)', async () => {
    const nacl = (await import('tweetnacl')).default;
    const k = key(5);
    for (const size of [0, 1, 64, 3000]) {
      const message = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
      const doc = signDocument({ size, message }, [k]);
      const reference = nacl.sign.detached(doc.body, k.secretKey);
      expect(Buffer.from(doc.sigs[0]!.sig).equals(Buffer.from(reference))).toBe(true);
      expect(nacl.sign.detached.verify(doc.body, doc.sigs[0]!.sig, k.publicKey)).toBe(true);
    }
  });
});
