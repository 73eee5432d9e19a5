/**
 * The model registry: registers uploaded ONNX files as new versions of a model line and answers what is
 * registered. Versions are monotonic per line (DESIGN.md §3: a rollback is a new, higher version), so an
 * explicit version must exceed the latest one and an omitted version becomes latest + 1. The built bundle
 * (bundle-builder.ts) goes to the content-addressed BlobStore; the signed manifest is stored byte-exact so
 * it can be re-served as is. An upload may ask for its int8 variant too (int8-variant/): the variant is
 * derived, measured against the upload and, when it holds up, registered as the next version in the same
 * transaction — so the two numbers are consecutive and either both exist or neither does.
 */
import {
  AGENT_RELEASE_LINE,
  decodeCbor,
  encodeCbor,
  isSignedBy,
  type ManifestBody,
  type ModelQuality,
  manifestBodySchema,
  resignDocument,
  type SignedDocument,
  type SigningKey,
  signDocument,
  signedDocumentSchema,
} from '@edgefleet/protocol';
import { and, desc, eq, max, sql } from 'drizzle-orm';
import type { Database, Tables } from '../db/database.js';
import { ControlPlaneError } from '../errors.js';
import { type AgentReleaseMetadata, buildAgentRelease } from './agent-release.js';
import type { BlobStore } from './blob-store.js';
import { type BuiltBundle, type BundleMetadata, buildBundle } from './bundle-builder.js';
import type { Int8Verdict } from './int8-variant/derive-variant.js';
import { buildWithInt8Variant, type Int8VariantRequest } from './int8-variant/variant-bundles.js';
import type { QuantizedNode, SkippedNode } from './quantize/index.js';
import type { ReferenceInput } from './reference-profile.js';

export type { Int8VariantRequest } from './int8-variant/variant-bundles.js';

export interface RegisteredVersion {
  readonly line: string;
  readonly version: number;
  readonly digest: string;
  readonly sizeBytes: number;
  readonly chunkCount: number;
  readonly manifest: ManifestBody;
  readonly signedManifest: SignedDocument;
  readonly createdAt: number;
}

export interface RegisterRequest {
  line: string;
  version: number | undefined;
  bytes: Uint8Array;
  metadata: BundleMetadata;
  /** Reference rows for the drift profile (optional). */
  reference?: ReferenceInput | undefined;
  description: string | undefined;
}

interface QuantizedNodes {
  readonly quantized: readonly QuantizedNode[];
  readonly skipped: readonly SkippedNode[];
}

export type Int8Outcome =
  | (QuantizedNodes & {
      readonly refused: false;
      readonly registered: RegisteredVersion;
      readonly quality: ModelQuality;
    })
  | (QuantizedNodes & {
      readonly refused: true;
      readonly message: string;
      readonly quality?: ModelQuality | undefined;
    });

export interface ModelRegistry {
  register(options: RegisterRequest): Promise<RegisteredVersion>;
  /**
   * Registers the upload as vN and derives its int8 variant; the variant becomes vN+1 (manifest
   * `quantization: 'int8'`, `lineage.parents: [N]`, `quality`) unless it is refused, in which case vN stands
   * alone and the outcome says why, with the numbers. Mistakes in the request register nothing.
   */
  registerWithInt8Variant(options: RegisterRequest & { int8: Int8VariantRequest }): Promise<{
    registered: RegisteredVersion;
    int8: Int8Outcome;
  }>;
  /** Registers an agent build as the next version of the `agent` line (agent self-update). */
  registerAgentRelease(options: {
    version: number | undefined;
    bytes: Uint8Array;
    metadata: AgentReleaseMetadata;
    description: string | undefined;
  }): Promise<RegisteredVersion>;
  /**
   * Rollback (DESIGN.md §3: never a downgrade): registers latest + 1 whose content is `contentOf`'s — same
   * bundle digest and chunks, manifest re-signed with `lineage.contentOf` and `parents: [rolledBack]`.
   */
  registerRollback(options: { line: string; contentOf: number; rolledBack: number }): Promise<RegisteredVersion>;
  listLines(): Promise<{ line: string; latestVersion: number; versionCount: number }[]>;
  listVersions(line: string): Promise<RegisteredVersion[]>;
  /** The version, or a NOT_FOUND error. */
  get(line: string, version: number): Promise<RegisteredVersion>;
  /** Re-signs every manifest not signed by the current targets keys (after a rotation); returns how many. */
  resignAll(): Promise<number>;
}

type Row = Tables['modelVersions']['$inferSelect'];

/** Decoded versions kept in memory; cleared when more than this many were read. */
const VERSION_CACHE_SIZE = 256;

function toRegistered(row: Row): RegisteredVersion {
  const signedManifest = decodeCbor(new Uint8Array(row.signedManifest), signedDocumentSchema);
  return {
    line: row.line,
    version: row.version,
    digest: row.digest,
    sizeBytes: row.sizeBytes,
    chunkCount: row.chunkCount,
    manifest: decodeCbor(signedManifest.body, manifestBodySchema),
    signedManifest,
    createdAt: row.createdAt,
  };
}

export function createModelRegistry(options: {
  database: Database;
  blobs: BlobStore;
  /** The current targets keys: a manifest signed by others (before a rotation) is re-signed when read. */
  targetsKeys: () => readonly SigningKey[];
  now: () => number;
}): ModelRegistry {
  const { db, tables } = options.database;
  const { modelVersions } = tables;
  // A registered version never changes and its number is never reused (the insert would conflict), so
  // decoded versions can be kept — also across replicas. Every chunk request and desired document reads
  // one; without the cache each read was a query plus two CBOR decodes (10,000-device simulator profile).
  const versions = new Map<string, RegisteredVersion>();
  const latestVersion = async (line: string): Promise<number | null> =>
    (
      await db
        .select({ v: max(modelVersions.version) })
        .from(modelVersions)
        .where(eq(modelVersions.line, line))
    )[0]?.v ?? null;

  /**
   * Picks the next version, builds and signs the bundles (the first one numbered `version`, any others the
   * numbers after it), stores their bytes and inserts their manifests in one transaction.
   */
  async function store(
    request: { line: string; version: number | undefined; description: string | undefined },
    build: (version: number, previousVersion: number | null) => Promise<readonly BuiltBundle[]>,
  ): Promise<RegisteredVersion[]> {
    const { line } = request;
    const latest = await latestVersion(line);
    const next = request.version ?? (latest ?? 0) + 1;
    if (latest !== null && next <= latest) {
      throw new ControlPlaneError('CONFLICT', `${line} v${next} is not above the latest version v${latest}`, {
        details: { line, version: next, latest },
      });
    }
    const bundles = await build(next, latest);
    // The built bundles, not the upload: a model's bundle is the model followed by its self-test set, and
    // the manifest's digest and chunks cover those bytes.
    for (const built of bundles) await options.blobs.put(built.bytes);
    // Re-check after the awaits: a concurrent upload may have taken the version meanwhile.
    const raced = await latestVersion(line);
    if (raced !== latest) {
      throw new ControlPlaneError('CONFLICT', `${line} gained v${raced} during this upload`, { details: { line } });
    }
    await options.database.transaction(async (tx) => {
      for (const built of bundles) {
        await tx.insert(modelVersions).values({
          line,
          version: built.manifest.version,
          digest: built.chunked.digest,
          sizeBytes: built.chunked.sizeBytes,
          chunkCount: built.chunked.chunks.length,
          signedManifest: Buffer.from(encodeCbor(built.signedManifest)),
          description: request.description ?? null,
          createdAt: built.manifest.createdAt,
        });
      }
    });
    return Promise.all(bundles.map((built) => registry.get(line, built.manifest.version)));
  }

  const registry: ModelRegistry = {
    async register({ line, version, bytes, metadata, reference, description }) {
      if (line === AGENT_RELEASE_LINE) {
        throw new ControlPlaneError('CONFLICT', `line ${line} is reserved for agent releases`, { details: { line } });
      }
      const [registered] = await store({ line, version, description }, async (next, previousVersion) => [
        await buildBundle({
          bytes,
          line,
          version: next,
          previousVersion,
          metadata,
          reference,
          targetsKeys: options.targetsKeys(),
          nowMs: options.now(),
        }),
      ]);
      return registered as RegisteredVersion;
    },
    async registerWithInt8Variant(request) {
      const { line } = request;
      if (line === AGENT_RELEASE_LINE) {
        throw new ControlPlaneError('CONFLICT', `line ${line} is reserved for agent releases`, { details: { line } });
      }
      // Set by the build, which store() awaits before it resolves.
      let verdict!: Int8Verdict;
      const [registered, variant] = await store(request, async (next, previousVersion) => {
        const built = await buildWithInt8Variant({
          upload: request,
          int8: request.int8,
          version: next,
          previousVersion,
          targetsKeys: options.targetsKeys(),
          nowMs: options.now(),
        });
        verdict = built.verdict;
        return built.bundles;
      });
      const { quantized, skipped } = verdict;
      const int8: Int8Outcome = verdict.refused
        ? { refused: true, message: verdict.message, quality: verdict.quality, quantized, skipped }
        : { refused: false, registered: variant as RegisteredVersion, quality: verdict.quality, quantized, skipped };
      return { registered: registered as RegisteredVersion, int8 };
    },
    async registerAgentRelease({ version, bytes, metadata, description }) {
      const [registered] = await store({ line: AGENT_RELEASE_LINE, version, description }, async (next, previous) => [
        buildAgentRelease({
          bytes,
          version: next,
          previousVersion: previous,
          metadata,
          targetsKeys: options.targetsKeys(),
          nowMs: options.now(),
        }),
      ]);
      return registered as RegisteredVersion;
    },
    async registerRollback({ line, contentOf, rolledBack }) {
      const source = await registry.get(line, contentOf);
      const [row] = await db
        .select()
        .from(modelVersions)
        .where(and(eq(modelVersions.line, line), eq(modelVersions.version, contentOf)))
        .limit(1);
      const version = ((await latestVersion(line)) ?? 0) + 1;
      const createdAt = options.now();
      const manifest: ManifestBody = manifestBodySchema.parse({
        ...source.manifest,
        version,
        lineage: { parents: [rolledBack], source: `rollback of v${rolledBack}`, contentOf },
        createdAt,
        expiresAt: createdAt + (source.manifest.expiresAt - source.manifest.createdAt),
      });
      await db.insert(modelVersions).values({
        line,
        version,
        digest: source.digest,
        sizeBytes: source.sizeBytes,
        chunkCount: source.chunkCount,
        signedManifest: Buffer.from(encodeCbor(signDocument(manifest, options.targetsKeys()))),
        description: `rollback of v${rolledBack} to the content of v${contentOf}${row?.description ? ` (${row.description})` : ''}`,
        createdAt,
      });
      return registry.get(line, version);
    },
    listLines() {
      // PostgreSQL returns max() of a bigint and count(*) as strings: mapped to numbers in both dialects.
      return db
        .select({
          line: modelVersions.line,
          latestVersion: sql<number>`max(${modelVersions.version})`.mapWith(Number),
          versionCount: sql<number>`count(*)`.mapWith(Number),
        })
        .from(modelVersions)
        .groupBy(modelVersions.line)
        .orderBy(modelVersions.line);
    },
    async listVersions(line) {
      const rows = await db
        .select()
        .from(modelVersions)
        .where(eq(modelVersions.line, line))
        .orderBy(desc(modelVersions.version));
      return rows.map(toRegistered);
    },
    async get(line, version) {
      const key = `${line}\u0000${version}`;
      const signers = options.targetsKeys();
      const cached = versions.get(key);
      if (cached !== undefined && isSignedBy(cached.signedManifest, signers)) return cached;
      const [row] = await db
        .select()
        .from(modelVersions)
        .where(and(eq(modelVersions.line, line), eq(modelVersions.version, version)))
        .limit(1);
      if (row === undefined) {
        throw new ControlPlaneError('NOT_FOUND', `no model ${line} v${version}`, { details: { line, version } });
      }
      let registered = toRegistered(row);
      if (!isSignedBy(registered.signedManifest, signers)) {
        // Signed before the targets keys rotated: the same manifest bytes under the current keys. Whichever
        // replica reads it first stores the new signature; the body and its digest never change.
        const signedManifest = resignDocument(registered.signedManifest, signers);
        await db
          .update(modelVersions)
          .set({ signedManifest: Buffer.from(encodeCbor(signedManifest)) })
          .where(and(eq(modelVersions.line, line), eq(modelVersions.version, version)));
        registered = { ...registered, signedManifest };
      }
      Object.freeze(registered);
      if (versions.size >= VERSION_CACHE_SIZE) versions.clear();
      versions.set(key, registered);
      return registered;
    },
    async resignAll() {
      const signers = options.targetsKeys();
      const rows = await db
        .select({ line: modelVersions.line, version: modelVersions.version, signed: modelVersions.signedManifest })
        .from(modelVersions);
      const stale = rows.filter(
        (r) => !isSignedBy(decodeCbor(new Uint8Array(r.signed), signedDocumentSchema), signers),
      );
      for (const r of stale) await registry.get(r.line, r.version);
      return stale.length;
    },
  };
  return registry;
}
