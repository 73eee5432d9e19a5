/**
 * Model registry routes. Registration is multipart/form-data: part `model` (the .onnx bytes, or an mcu-int8
 * image with metadata `runtime: 'mcu-int8'`), part `metadata` (a JSON string: the sample inputs the
 * self-test set is computed from, as tabular `sampleInputs` rows or named-tensor `samples`, recurrent
 * `state` pairs, per-output `tolerance`), optionally a file part `samples` (the sample inputs as a `.npy`
 * array or CBOR named tensors, instead of the metadata forms) and part `reference` (JSON `{ rows,
 * featureNames?, categorical?, topK? }` for a tabular model, or `{ driftFeatures, samples? }` — a reference
 * set of named tensors, or a file part `referenceSamples` — for any model: the dataset the drift reference
 * profile is computed from). Agent
 * releases are registered apart: `POST /v1/agent-releases`, part `bundle` (one bundled JS file)
 * and an optional part `metadata`; they become versions of the line `agent`. Uploads over the bundle limit
 * are refused with 413 before being buffered further. With metadata `int8Variant` the upload's int8 variant
 * is derived and measured too, on the samples plus an optional evaluation set (metadata `evaluationSamples`
 * or a file part `evaluation`), and registered as the next version unless refused (int8-variant-upload.ts).
 */
import {
  DEFAULT_CHUNK_BYTES,
  encodeCbor,
  modelLineSchema,
  SELF_TEST_LIMITS,
  statePairSchema,
  tensorNameSchema,
  toleranceSchema,
  versionSchema,
} from '@edgefleet/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ControlPlaneError } from '../../errors.js';
import { evaluationLabelsSchema, int8VariantSchema } from '../../registry/int8-variant/variant-options.js';
import type { RegisteredVersion } from '../../registry/model-registry.js';
import { type ReferenceInput, referenceInputSchema } from '../../registry/reference-profile.js';
import { tensorReferenceOf, tensorReferenceSchema } from '../../registry/reference-set.js';
import { jsonSampleSchema } from '../../registry/samples/json-tensors.js';
import { EVALUATION_LIMITS, sampleSourceOf } from '../../registry/samples/sample-source.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createAuditRecorder, createRoleGuard, parseParams, parseWith } from '../middleware.js';
import { int8RequestOf, int8Response } from './int8-variant-upload.js';

/** Room for the multipart envelope and the metadata part around the model bytes. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

export const modelMetadataSchema = z.strictObject({
  version: versionSchema.optional(),
  /** Tabular samples: each row is fed as a float32 [1, F] tensor to the model's one input. */
  sampleInputs: z.array(z.array(z.number()).min(1).max(4096)).min(1).max(SELF_TEST_LIMITS.maxVectors).optional(),
  /** Samples as named tensors, `{ <input>: { dims, data: numbers or base64 little-endian bytes, dtype? } }`. */
  samples: z.array(jsonSampleSchema).min(1).max(SELF_TEST_LIMITS.maxVectors).optional(),
  /** Recurrent state: `output` is fed back as `input` on the next call; the samples then form one stream. */
  state: z.array(statePairSchema).max(16).optional(),
  /** Self-test tolerance per output, |actual − expected| ≤ atol + rtol·|expected|. */
  tolerance: z.record(tensorNameSchema, toleranceSchema).optional(),
  /** Tolerance of float outputs without one in `tolerance` (integer and bool outputs must match exactly). */
  atol: z.number().nonnegative().max(1).default(1e-4),
  quantization: z.enum(['none', 'int8']).default('none'),
  /** `mcu-int8`: a microcontroller image (protocol mcu-model), delivered through a gateway (DESIGN.md §6). */
  runtime: z.enum(['onnx', 'mcu-int8']).default('onnx'),
  // A chunk travels in one MQTT message whose decoder limit is 256 KiB (protocol CODEC_LIMITS).
  chunkBytes: z
    .int()
    .min(1024)
    .max(128 * 1024)
    .default(DEFAULT_CHUNK_BYTES),
  ttlDays: z.number().positive().max(3650).default(365),
  /** Declared resident memory of the loaded model; estimated from the file size when omitted. */
  memoryBytes: z.int().positive().optional(),
  description: z.string().max(1024).optional(),
  /** Derive an int8 variant, measure it against this version, register it as the next one (docs/adr/0002). */
  int8Variant: int8VariantSchema.optional(),
  /** More inputs the int8 variant is measured on (not shipped); or a file part `evaluation`. */
  evaluationSamples: z.array(jsonSampleSchema).min(1).max(EVALUATION_LIMITS.maxSamples).optional(),
  /** The class of each row of the compared output over the evaluation samples. */
  evaluationLabels: evaluationLabelsSchema.optional(),
});

/** Part `metadata` of an agent-release upload (optional as a whole). */
const releaseMetadataSchema = z.strictObject({
  version: versionSchema.optional(),
  chunkBytes: z
    .int()
    .min(1024)
    .max(128 * 1024)
    .default(DEFAULT_CHUNK_BYTES),
  ttlDays: z.number().positive().max(3650).default(365),
  description: z.string().max(1024).optional(),
});

const lineParam = z.object({ line: modelLineSchema });
const versionParams = z.object({ line: modelLineSchema, version: z.coerce.number().pipe(versionSchema) });

function summary(v: RegisteredVersion) {
  return {
    line: v.line,
    version: v.version,
    digest: v.digest,
    sizeBytes: v.sizeBytes,
    chunkCount: v.chunkCount,
    inputs: v.manifest.inputs,
    outputs: v.manifest.outputs,
  };
}

/**
 * The optional `reference` part (with the optional file part `referenceSamples`); errors name the field
 * (`reference.rows.3 ...`). A part with `driftFeatures` is a reference set of named tensors.
 */
function parseReference(part: unknown, file: Uint8Array | undefined): ReferenceInput | undefined {
  if (part === undefined) {
    if (file !== undefined) throw new ControlPlaneError('BODY_INVALID', 'part `referenceSamples` needs a `reference`');
    return undefined;
  }
  if (typeof part !== 'string') throw new ControlPlaneError('BODY_INVALID', 'part `reference` must be a JSON string');
  let raw: unknown;
  try {
    raw = JSON.parse(part);
  } catch (cause) {
    throw new ControlPlaneError('BODY_INVALID', 'part `reference` is not valid JSON', { cause });
  }
  if (typeof raw === 'object' && raw !== null && 'driftFeatures' in raw) {
    return tensorReferenceOf(
      parseWith(z.object({ reference: tensorReferenceSchema }), { reference: raw }).reference,
      file,
    );
  }
  if (file !== undefined)
    throw new ControlPlaneError('BODY_INVALID', 'part `referenceSamples` needs `reference.driftFeatures`');
  return parseWith(z.object({ reference: referenceInputSchema }), { reference: raw }).reference;
}

function tooLarge(limit: number): never {
  throw new ControlPlaneError('BUNDLE_TOO_LARGE', `upload exceeds ${limit} bytes`, { details: { limit } });
}

async function multipart(c: { req: { parseBody(): Promise<Record<string, unknown>> } }) {
  try {
    return await c.req.parseBody();
  } catch (cause) {
    throw new ControlPlaneError('BODY_INVALID', 'expected multipart/form-data', { cause });
  }
}

function jsonPart(part: unknown, name: string): unknown {
  if (typeof part !== 'string') throw new ControlPlaneError('BODY_INVALID', `part \`${name}\` must be a JSON string`);
  try {
    return JSON.parse(part);
  } catch (cause) {
    throw new ControlPlaneError('BODY_INVALID', `part \`${name}\` is not valid JSON`, { cause });
  }
}

async function filePart(part: unknown, name: string): Promise<Uint8Array | undefined> {
  if (part === undefined) return undefined;
  if (!(part instanceof File)) {
    throw new ControlPlaneError('BODY_INVALID', `part \`${name}\` must be a file (.npy, or CBOR { samples })`);
  }
  return new Uint8Array(await part.arrayBuffer());
}

export function createModelRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  const audited = createAuditRecorder(services);
  const limit = services.maxBundleBytes;
  return new Hono<HttpEnv>()
    .post(
      '/v1/models/:line/versions',
      audited('models.register'),
      requireRole('operator'),
      bodyLimit({ maxSize: limit + MULTIPART_OVERHEAD_BYTES, onError: () => tooLarge(limit) }),
      async (c) => {
        const { line } = parseParams(lineParam, c);
        c.set('auditTarget', `model:${line}`);
        const form = await multipart(c);
        const model = form.model;
        if (!(model instanceof File)) throw new ControlPlaneError('BODY_INVALID', 'part `model` (a file) is required');
        if (model.size > limit) tooLarge(limit);
        if (form.metadata === undefined) throw new ControlPlaneError('BODY_INVALID', 'part `metadata` is required');
        const metadata = parseWith(modelMetadataSchema, jsonPart(form.metadata, 'metadata'));
        const samples = sampleSourceOf({
          sampleInputs: metadata.sampleInputs,
          samples: metadata.samples,
          file: await filePart(form.samples, 'samples'),
        });
        const reference = parseReference(form.reference, await filePart(form.referenceSamples, 'referenceSamples'));
        const int8 = int8RequestOf(metadata, await filePart(form.evaluation, 'evaluation'));
        const request = {
          line,
          version: metadata.version,
          bytes: new Uint8Array(await model.arrayBuffer()),
          metadata: { ...metadata, samples },
          reference,
          description: metadata.description,
        };
        if (int8 !== undefined) {
          const both = await services.registry.registerWithInt8Variant({ ...request, int8 });
          const variant = both.int8.refused ? 'refused' : both.int8.registered.version;
          c.set('auditTarget', `model:${line}@${both.registered.version}`);
          c.set('auditDetails', {
            digest: both.registered.digest,
            sizeBytes: both.registered.sizeBytes,
            int8: variant,
          });
          const answer = int8Response(both.int8, { minAgreement: int8.options.minAgreement, summarize: summary });
          return c.json({ ...summary(both.registered), manifest: both.registered.manifest, int8: answer }, 201);
        }
        const registered = await services.registry.register(request);
        c.set('auditTarget', `model:${line}@${registered.version}`);
        c.set('auditDetails', { digest: registered.digest, sizeBytes: registered.sizeBytes });
        return c.json({ ...summary(registered), manifest: registered.manifest }, 201);
      },
    )
    .post(
      '/v1/agent-releases',
      audited('agent-releases.register'),
      requireRole('operator'),
      bodyLimit({ maxSize: limit + MULTIPART_OVERHEAD_BYTES, onError: () => tooLarge(limit) }),
      async (c) => {
        const form = await multipart(c);
        const bundle = form.bundle;
        if (!(bundle instanceof File))
          throw new ControlPlaneError('BODY_INVALID', 'part `bundle` (a file) is required');
        if (bundle.size > limit) tooLarge(limit);
        const metadata = parseWith(
          releaseMetadataSchema,
          form.metadata === undefined ? {} : jsonPart(form.metadata, 'metadata'),
        );
        const registered = await services.registry.registerAgentRelease({
          version: metadata.version,
          bytes: new Uint8Array(await bundle.arrayBuffer()),
          metadata,
          description: metadata.description,
        });
        c.set('auditTarget', `model:${registered.line}@${registered.version}`);
        c.set('auditDetails', { digest: registered.digest, sizeBytes: registered.sizeBytes });
        return c.json({ ...summary(registered), manifest: registered.manifest }, 201);
      },
    )
    .get('/v1/models', requireRole('viewer'), async (c) => c.json(await services.registry.listLines()))
    .get('/v1/models/:line/versions', requireRole('viewer'), async (c) => {
      const { line } = parseParams(lineParam, c);
      return c.json(
        (await services.registry.listVersions(line)).map((v) => ({
          ...summary(v),
          quantization: v.manifest.quantization,
          ...(v.manifest.quality === undefined ? {} : { quality: v.manifest.quality }),
          createdAt: v.createdAt,
          expiresAt: v.manifest.expiresAt,
        })),
      );
    })
    .get('/v1/models/:line/versions/:version', requireRole('viewer'), async (c) => {
      const { line, version } = parseParams(versionParams, c);
      const v = await services.registry.get(line, version);
      return c.json({
        manifest: v.manifest,
        signedManifest: Buffer.from(encodeCbor(v.signedManifest)).toString('base64'),
      });
    });
}
