/**
 * Model manifests (DESIGN.md §3): what a bundle is, how to verify it chunk by chunk, how to run it and how
 * to test it on the device before switching to it. Signed by the targets role. Two additive extensions:
 * `resources` (what the installed bundle needs in RAM, checked by the agent before it fetches) and agent
 * releases: `runtime: 'agent'` marks a bundle that is a build of the agent itself, delivered on its own model
 * line through the same signed path; it carries no tensors and no self-test vectors — its test is the new
 * agent reporting healthy after the restart (see the agent's self-update).
 */
import { z } from 'zod';
import { chunkCount, MAX_CHUNKS } from '../chunking.js';
import { referenceProfileSchema } from '../drift/profile.js';
import { modelLineSchema, sha256HexSchema, timestampMsSchema, versionSchema } from '../messages/primitives.js';
import { type TensorSpec, tensorSpecSchema } from '../tensors/contract.js';
import { selfTestSchema } from '../tensors/self-test-set.js';
import { statePairSchema } from '../tensors/state.js';
import { modelQualitySchema } from './model-quality.js';
import type { TrustedRoot } from './root.js';
import { assertNotExpired, type SignedDocument, verifyDocument } from './signed-document.js';

export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

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

/** What the installed bundle needs on the device beyond its own bytes. */
export const resourcesSchema = z.object({
  /** Resident memory the loaded bundle adds to the agent process, in bytes (estimated at registration). */
  memoryBytes: z.int().nonnegative(),
});

/** The reserved model line agent releases travel on. */
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
    chunks: z.array(sha256HexSchema).min(1).max(MAX_CHUNKS),
    /** `mcu-int8`: a microcontroller image (mcu/mcu-model.ts) a gateway delivers over a serial link; `agent`: an agent release. */
    runtime: z.enum([...MODEL_RUNTIMES, 'agent']),
    quantization: z.enum(['none', 'int8']),
    /**
     * The model contract read from the graph: every input and output (at least one each for a model, checked
     * below; empty for an agent release).
     */
    inputs: z.array(tensorSpecSchema).max(64),
    outputs: z.array(tensorSpecSchema).max(64),
    /** Recurrent state: outputs fed back as inputs on the same stream's next call. */
    state: z.array(statePairSchema).max(16).optional(),
    /**
     * A model's bundle is the model file (its first `modelBytes` bytes) followed by its CBOR self-test set
     * (tensors/self-test-set.ts); absent for an agent release, whose bundle is the build itself.
     */
    modelBytes: z.int().min(1).max(MAX_BUNDLE_BYTES).optional(),
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
    /** How a derived version (an int8 variant) answers like its parent, measured at registration. */
    quality: modelQualitySchema.optional(),
    createdAt: timestampMsSchema,
    expiresAt: timestampMsSchema,
  })
  .refine((m) => m.chunks.length === chunkCount(m.sizeBytes, m.chunkBytes), {
    message: 'chunk list length does not match sizeBytes / chunkBytes',
    path: ['chunks'],
  })
  .refine(
    (m) =>
      m.runtime === 'agent' ||
      (m.selfTest !== undefined &&
        m.modelBytes !== undefined &&
        m.modelBytes + m.selfTest.bytes === m.sizeBytes &&
        m.inputs.length > 0 &&
        m.outputs.length > 0),
    {
      message: 'a model manifest needs inputs, outputs, and a self-test set that ends the bundle after modelBytes',
      path: ['selfTest'],
    },
  )
  .refine((m) => new Set(m.inputs.map((t) => t.name)).size === m.inputs.length, {
    message: 'input names must be unique',
    path: ['inputs'],
  })
  .refine((m) => new Set(m.outputs.map((t) => t.name)).size === m.outputs.length, {
    message: 'output names must be unique',
    path: ['outputs'],
  })
  .refine((m) => (m.state ?? []).every((p) => statePairFits(m.inputs, m.outputs, p)), {
    message: 'each state pair must name an input and an output of the same element type and rank',
    path: ['state'],
  })
  .refine((m) => Object.keys(m.selfTest?.tolerance ?? {}).every((name) => m.outputs.some((o) => o.name === name)), {
    message: 'self-test tolerances must name outputs of the model',
    path: ['selfTest', 'tolerance'],
  })
  .refine(
    (m) => {
      const spec = m.profile?.driftFeatures;
      return (
        spec === undefined ||
        (spec.inputs.every((s) => m.inputs.some((t) => t.name === s.input)) &&
          m.outputs.some((t) => t.name === spec.output.name))
      );
    },
    { message: 'drift features must name inputs and an output of the model', path: ['profile', 'driftFeatures'] },
  );

function statePairFits(
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
  pair: { input: string; output: string },
): boolean {
  const input = inputs.find((t) => t.name === pair.input);
  const output = outputs.find((t) => t.name === pair.output);
  return (
    input !== undefined &&
    output !== undefined &&
    input.dtype === output.dtype &&
    input.shape.length === output.shape.length
  );
}

export type ModelRuntime = ManifestBody['runtime'];
export type TrainingLineage = z.infer<typeof trainingLineageSchema>;
export type ManifestBody = z.infer<typeof manifestBodySchema>;

export function verifyManifest(doc: SignedDocument, root: TrustedRoot, nowMs: number): ManifestBody {
  const manifest = verifyDocument(doc, root.role('targets'), manifestBodySchema);
  assertNotExpired(`manifest ${manifest.line} v${manifest.version}`, manifest.expiresAt, nowMs);
  return manifest;
}
