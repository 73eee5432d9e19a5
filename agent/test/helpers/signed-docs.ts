/**
 * Real signed documents for tests, made with the protocol's own functions: a key set, its root document,
 * manifests for a bundle, and desired messages — so trust tests exercise true ed25519 signatures.
 */
import {
  buildRootDocument,
  chunkBundle,
  type DesiredBody,
  encodeCbor,
  generateSigningKey,
  type ManifestBody,
  pinnedRootKeys,
  type RootKeys,
  type SignedDocument,
  signDocument,
  type TrustedRoot,
  trustedRootFrom,
  verifyRootDocument,
} from '@edgefleet/protocol';

export const NOW_MS = 1_700_000_000_000;
const DAY_MS = 86_400_000;

export function makeKeys(seedByte = 1): RootKeys {
  const seed = (n: number) => new Uint8Array(32).fill(seedByte * 16 + n);
  return {
    root: [generateSigningKey(seed(1))],
    targets: [generateSigningKey(seed(2))],
    director: [generateSigningKey(seed(3))],
  };
}

export function makeRoot(keys: RootKeys): { doc: SignedDocument; trusted: TrustedRoot; pinnedHex: string[] } {
  const doc = buildRootDocument({ keys, version: 1, issuedAt: NOW_MS, expiresAt: NOW_MS + 365 * DAY_MS });
  const pinnedHex = keys.root.map((k) => Buffer.from(k.publicKey).toString('hex'));
  const trusted = verifyRootDocument(doc, pinnedRootKeys(keys.root.map((k) => k.publicKey)), NOW_MS);
  return { doc, trusted: trustedRootFrom(trusted.body), pinnedHex };
}

export function makeManifest(
  keys: RootKeys,
  options: { line?: string; version: number; bundle: Uint8Array; chunkBytes?: number },
): { body: ManifestBody; doc: SignedDocument } {
  const chunked = chunkBundle(options.bundle, options.chunkBytes ?? 1024);
  const body: ManifestBody = {
    _type: 'manifest',
    line: options.line ?? 'iris',
    version: options.version,
    digest: chunked.digest,
    sizeBytes: chunked.sizeBytes,
    chunkBytes: chunked.chunkBytes,
    chunks: [...chunked.chunks],
    runtime: 'onnx',
    quantization: 'none',
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }],
    selfTest: {
      input: 'features',
      output: 'probabilities',
      atol: 1e-4,
      vectors: [{ shape: [1, 4], input: [5.1, 3.5, 1.4, 0.2], expected: [1, 0, 0] }],
    },
    lineage: { parents: [], source: 'test', contentOf: null },
    createdAt: NOW_MS,
    expiresAt: NOW_MS + 30 * DAY_MS,
  };
  return { body, doc: signDocument(body, keys.targets) };
}

export function makeDesiredMessage(
  keys: RootKeys,
  options: {
    deviceId: string;
    seq: number;
    assignments: Array<{ line: string; manifest: SignedDocument; shadow?: SignedDocument }>;
    signers?: RootKeys['director'];
    expiresAt?: number;
  },
): Uint8Array {
  const body: DesiredBody = {
    _type: 'desired',
    deviceId: options.deviceId,
    seq: options.seq,
    issuedAt: NOW_MS,
    expiresAt: options.expiresAt ?? NOW_MS + 7 * DAY_MS,
    rolloutId: 'r-1',
    assignments: options.assignments,
  };
  const doc = signDocument(body, options.signers ?? keys.director);
  return encodeCbor({ v: 1, type: 'desired', ts: NOW_MS, doc });
}
