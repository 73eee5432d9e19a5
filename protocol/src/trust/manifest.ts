/**
 * Model manifests (DESIGN.md §3): what a bundle is, how to verify it chunk by chunk, how to run it and how
 * to test it on the device before switching to it. Signed by the targets role. Issue 11 adds, additively,
 * `resources` (what the installed bundle needs in RAM, checked by the agent before it fetches) and agent
 * releases: `runtime: 'agent'` marks a bundle that is a build of the agent itself, delivered on its own model
 * line through the same signed path; it carries no tensors and no self-test vectors — its test is the new
 * agent reporting healthy after the restart (see the agent's self-update).
 */
import { z } from 'zod';
import { chunkCount } from '../chunking.js';
import { referenceProfileSchema } from '../drift/profile.js';
import { ProtocolError } from '../errors/edgefleet-error.js';
import { modelLineSchema, sha256HexSchema, timestampMsSchema, versionSchema } from '../messages/primitives.js';
import type { TrustedRoot } from './root.js';
import { assertNotExpired, type SignedDocument, verifyDocument } from './signed-document.js';

export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export const tensorSpecSchema = z.object({
  name: z.string().min(1).max(128),
  dtype: z.enum(['float32', 'int64', 'int32', 'int8', 'uint8']),
  /** -1 marks a dynamic dimension (the batch). */
  shape: z.array(z.int().min(-1)).max(8),
});

const selfTestVectorSchema = z
  .object({
    shape: z.array(z.int().min(1)).min(1).max(8),
    input: z.array(z.number()).max(65_536),
    expected: z.array(z.number()).max(65_536),
  })
  .refine((v) => v.input.length === v.shape.reduce((a, b) => a * b, 1), 'input length must equal product(shape)');

export const trainingLineageSchema = z.object({
  kind: z.literal('federated'),
  jobId: z.string().max(64),
  strategy: z.string().max(32),
  /** The round whose global weights this version holds. */
  round: z.int().min(1),
  rounds: z
    .array(
      z.object({
        roundId: z.string().max(64),
        participants: z.int().nonnegative(),
        samples: z.int().nonnegative(),
        accuracy: z.number(),
      }),
    )
    .max(10_000),
  accuracy: z.number(),
  secureAggregation: z.boolean(),
  dp: z.object({ epsilon: z.number(), delta: z.number() }).nullable(),
});

export const selfTestSchema = z.object({
  input: z.string().min(1).max(128),
  output: z.string().min(1).max(128),
  /** Largest allowed |actual − expected| per output element. */
  atol: z.number().nonnegative(),
  vectors: z.array(selfTestVectorSchema).min(1).max(64),
});

/** What the installed bundle needs on the device beyond its own bytes (issue 11). */
export const resourcesSchema = z.object({
  /** Resident memory the loaded bundle adds to the agent process, in bytes (estimated at registration). */
  memoryBytes: z.int().nonnegative(),
});

/** The reserved model line agent releases travel on (issue 11). */
export const AGENT_RELEASE_LINE = 'agent';

/** Runtimes that run models; `agent` is an agent release (a build of the agent itself). */
export const MODEL_RUNTIMES = Object.freeze(['onnx', 'tfjs', 'mcu-int8'] as const);

export const manifestBodySchema = z
  .object({
    _type: z.literal('manifest'),
    line: modelLineSchema,
    version: versionSchema,
    digest: sha256HexSchema,
    sizeBytes: z.int().min(1).max(MAX_BUNDLE_BYTES),
    chunkBytes: z
      .int()
      .min(1024)
      .max(1024 * 1024),
    chunks: z.array(sha256HexSchema).min(1).max(65_536),
    /** `mcu-int8`: a microcontroller image (mcu/mcu-model.ts) a gateway delivers over a serial link; `agent`: an agent release. */
    runtime: z.enum([...MODEL_RUNTIMES, 'agent']),
    quantization: z.enum(['none', 'int8']),
    /** At least one each for a model (checked below); empty for an agent release. */
    inputs: z.array(tensorSpecSchema).max(16),
    outputs: z.array(tensorSpecSchema).max(16),
    /** Required for a model (checked below); an agent release proves itself by reporting healthy. */
    selfTest: selfTestSchema.optional(),
    resources: resourcesSchema.optional(),
    lineage: z.object({
      parents: z.array(versionSchema).max(16),
      source: z.string().max(256),
      /** Set on a rollback: this version re-publishes the content of that older version. */
      contentOf: versionSchema.nullable(),
      /** Set when a federated job produced this version: which rounds, how many devices, what accuracy. */
      training: trainingLineageSchema.optional(),
    }),
    /** Reference data profile for drift detection; absent when the version was registered without one. */
    profile: referenceProfileSchema.optional(),
    createdAt: timestampMsSchema,
    expiresAt: timestampMsSchema,
  })
  .refine((m) => m.chunks.length === chunkCount(m.sizeBytes, m.chunkBytes), {
    message: 'chunk list length does not match sizeBytes / chunkBytes',
    path: ['chunks'],
  })
  .refine((m) => m.runtime === 'agent' || (m.selfTest !== undefined && m.inputs.length > 0 && m.outputs.length > 0), {
    message: 'a model manifest needs inputs, outputs and self-test vectors',
    path: ['selfTest'],
  });

export type ModelRuntime = ManifestBody['runtime'];
export type TensorSpec = z.infer<typeof tensorSpecSchema>;
export type TrainingLineage = z.infer<typeof trainingLineageSchema>;
export type SelfTest = z.infer<typeof selfTestSchema>;
export type ManifestBody = z.infer<typeof manifestBodySchema>;

/** The self-test of a model manifest; an agent release (which has none) is refused with SCHEMA_INVALID. */
export function modelSelfTest(manifest: ManifestBody): SelfTest {
  if (manifest.selfTest === undefined) {
    throw new ProtocolError('SCHEMA_INVALID', `${manifest.line} v${manifest.version} is not a model manifest`, {
      details: { line: manifest.line, runtime: manifest.runtime },
    });
  }
  return manifest.selfTest;
}

export function verifyManifest(doc: SignedDocument, root: TrustedRoot, nowMs: number): ManifestBody {
  const manifest = verifyDocument(doc, root.role('targets'), manifestBodySchema);
  assertNotExpired(`manifest ${manifest.line} v${manifest.version}`, manifest.expiresAt, nowMs);
  return manifest;
}
