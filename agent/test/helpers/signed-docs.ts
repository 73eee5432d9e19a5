/**
 * Real signed documents for tests, made with the protocol's own functions: a key set, its root document,
 * manifests for a packed model bundle (helpers/bundles.ts), and desired messages — so trust tests exercise
 * true ed25519 signatures and every manifest passes the protocol's own schema.
 */
import {
  buildRootDocument,
  chunkBundle,
  type DesiredBody,
  decodeSelfTestSet,
  encodeCbor,
  generateSigningKey,
  type ManifestBody,
  manifestBodySchema,
  type OutputComparison,
  type PackedBundle,
  pinnedRootKeys,
  type RootKeys,
  type SignedDocument,
  type StatePair,
  signDocument,
  type TensorSpec,
  type Tolerance,
  type TrustedRoot,
  trustedRootFrom,
  verifyRootDocument,
} from '@edgefleet/protocol';
import { IRIS_INPUTS, IRIS_OUTPUTS } from './bundles.js';

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

/**
 * Root v`version` naming `keys`, signed by them and by the previous root's keys (TUF §5.3): what the control
 * plane publishes when it rotates keys. Expires a year after NOW_MS unless told otherwise.
 */
export function makeNextRoot(
  keys: RootKeys,
  options: { version: number; previous: RootKeys; expiresAt?: number },
): SignedDocument {
  return buildRootDocument({
    keys,
    version: options.version,
    issuedAt: NOW_MS,
    expiresAt: options.expiresAt ?? NOW_MS + 365 * DAY_MS,
    previousRootKeys: options.previous.root,
  });
}

/** Two rotations from v1: v2 replaces the targets and director keys, v3 also the root key. */
export function rotationChain() {
  const keys1 = makeKeys(1);
  const keys2: RootKeys = { ...makeKeys(2), root: keys1.root };
  const keys3 = makeKeys(3);
  return {
    keys1,
    keys2,
    keys3,
    v1: makeRoot(keys1),
    v2: makeNextRoot(keys2, { version: 2, previous: keys1 }),
    v3: makeNextRoot(keys3, { version: 3, previous: keys2 }),
  };
}

export interface ManifestOptions {
  line?: string;
  version: number;
  /** The packed bundle (model file + self-test set) the manifest describes. */
  bundle: PackedBundle;
  chunkBytes?: number;
  runtime?: ManifestBody['runtime'];
  /** The model contract; the iris classifier's by default. */
  inputs?: readonly TensorSpec[];
  outputs?: readonly TensorSpec[];
  state?: readonly StatePair[];
  /** Per output; float outputs without one get atol 1e-4 (integer and bool outputs are compared exactly). */
  tolerance?: Readonly<Record<string, Tolerance>>;
}

export function makeManifest(keys: RootKeys, options: ManifestOptions): { body: ManifestBody; doc: SignedDocument } {
  const { bundle } = options;
  const chunked = chunkBundle(bundle.bytes, options.chunkBytes ?? 1024);
  const outputs = [...(options.outputs ?? IRIS_OUTPUTS)];
  const floatOutputs = outputs.filter((o) => o.dtype === 'float32' || o.dtype === 'float16');
  const vectors = decodeSelfTestSet(bundle.bytes.subarray(bundle.modelBytes)).vectors.length;
  const body = manifestBodySchema.parse({
    _type: 'manifest',
    line: options.line ?? 'iris',
    version: options.version,
    digest: chunked.digest,
    sizeBytes: chunked.sizeBytes,
    chunkBytes: chunked.chunkBytes,
    chunks: [...chunked.chunks],
    runtime: options.runtime ?? 'onnx',
    quantization: 'none',
    inputs: [...(options.inputs ?? IRIS_INPUTS)],
    outputs,
    ...(options.state === undefined ? {} : { state: [...options.state] }),
    modelBytes: bundle.modelBytes,
    selfTest: {
      vectors,
      bytes: bundle.selfTestBytes,
      tolerance: {
        ...Object.fromEntries(floatOutputs.map((o) => [o.name, { atol: 1e-4, rtol: 0 }])),
        ...options.tolerance,
      },
    },
    lineage: { parents: [], source: 'test', contentOf: null },
    createdAt: NOW_MS,
    expiresAt: NOW_MS + 30 * DAY_MS,
  } satisfies ManifestBody);
  return { body, doc: signDocument(body, keys.targets) };
}

export function makeDesiredMessage(
  keys: RootKeys,
  options: {
    deviceId: string;
    seq: number;
    assignments: Array<{
      line: string;
      manifest: SignedDocument;
      shadow?: SignedDocument;
      compare?: OutputComparison;
    }>;
    signers?: RootKeys['director'];
    expiresAt?: number;
    /** Root documents after the first, attached once keys have rotated. */
    roots?: SignedDocument[];
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
  const roots = options.roots === undefined ? {} : { roots: options.roots };
  return encodeCbor({ v: 1, type: 'desired', ts: NOW_MS, doc, ...roots });
}
