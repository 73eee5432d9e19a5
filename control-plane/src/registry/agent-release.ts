/**
 * Turns an uploaded agent build (one bundled JavaScript file, see the agent's `edgefleet-agent bundle`) into
 * a signed agent-release manifest: the same chunked, targets-signed manifest as a model, on the
 * reserved line `agent`, with `runtime: 'agent'`, no tensors and no self-test vectors — the device proves
 * a release by restarting into it and reporting healthy, and reverts on its own when it does not. The
 * control plane deliberately does not try to judge the build: a broken release is exactly what the device's
 * health check exists to catch.
 */
import {
  AGENT_RELEASE_LINE,
  chunkBundle,
  type ManifestBody,
  manifestBodySchema,
  type SigningKey,
  signDocument,
} from '@edgefleet/protocol';
import type { BuiltBundle } from './bundle-builder.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface AgentReleaseMetadata {
  readonly chunkBytes: number;
  readonly ttlDays: number;
}

export function buildAgentRelease(options: {
  bytes: Uint8Array;
  version: number;
  previousVersion: number | null;
  metadata: AgentReleaseMetadata;
  targetsKeys: readonly SigningKey[];
  nowMs: number;
}): BuiltBundle {
  const chunked = chunkBundle(options.bytes, options.metadata.chunkBytes);
  const manifest = manifestBodySchema.parse({
    _type: 'manifest',
    line: AGENT_RELEASE_LINE,
    version: options.version,
    digest: chunked.digest,
    sizeBytes: chunked.sizeBytes,
    chunkBytes: chunked.chunkBytes,
    chunks: [...chunked.chunks],
    runtime: 'agent',
    quantization: 'none',
    inputs: [],
    outputs: [],
    lineage: {
      parents: options.previousVersion === null ? [] : [options.previousVersion],
      source: 'upload',
      contentOf: null,
    },
    createdAt: options.nowMs,
    expiresAt: options.nowMs + Math.round(options.metadata.ttlDays * DAY_MS),
  } satisfies ManifestBody);
  return { manifest, signedManifest: signDocument(manifest, options.targetsKeys), chunked, bytes: options.bytes };
}
