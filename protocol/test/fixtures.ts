/** Deterministic keys and documents shared by the protocol tests. */
import {
  buildRootDocument,
  chunkBundle,
  generateSigningKey,
  type ManifestBody,
  ProtocolError,
  pinnedRootKeys,
  type RootKeys,
  verifyRootDocument,
} from '../src/index.js';

export const NOW = Date.UTC(2026, 10, 23);
export const DAY_MS = 86_400_000;

export function key(n: number) {
  return generateSigningKey(new Uint8Array(32).fill(n));
}

export function rootKeys(): RootKeys {
  return { root: [key(1)], targets: [key(2)], director: [key(3)] };
}

export function trustedRoot(keys: RootKeys = rootKeys()) {
  const doc = buildRootDocument({ keys, version: 1, issuedAt: NOW, expiresAt: NOW + 365 * DAY_MS });
  return verifyRootDocument(doc, pinnedRootKeys(keys.root.map((k) => k.publicKey)), NOW);
}

export function manifestBody(overrides: Partial<ManifestBody> = {}): ManifestBody {
  const bundle = chunkBundle(new Uint8Array(3000).fill(7), 1024);
  return {
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
    ...overrides,
  };
}

/** The code of the ProtocolError `fn` throws; fails the test when it throws nothing or something else. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ProtocolError) return error.code;
    throw error;
  }
  throw new Error('expected a ProtocolError');
}
