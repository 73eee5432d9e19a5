/**
 * Federated-round messages (DESIGN.md §2 `fl/task` · `fl/update`, §5 FL coordinator). The coordinator offers a
 * task naming the global weights by digest — devices fetch them chunk by chunk over the same `fetch/req`
 * path as bundles — and devices answer on `fl/update`: accept (with an X25519 public key when the round uses
 * secure aggregation) or decline with a reason, then the update in parts (≤ 64 KiB each, because one MQTT
 * message is capped at 256 KiB by the codec) closed by a `done` carrying the sample count and the digest of
 * the whole update. Secure aggregation adds two exchanges (Bonawitz et al. 2017 §4): the coordinator sends
 * the accepted peers' public keys, and after dropouts asks survivors to reveal their pairwise seeds with
 * the dropped clients. Raw training data never appears in any of these messages.
 */
import { z } from 'zod';
import {
  bytesSchema,
  deviceIdSchema,
  messageBase,
  modelLineSchema,
  sha256HexSchema,
  timestampMsSchema,
} from '../messages/primitives.js';
import { mlpSpecSchema } from './mlp-spec.js';

export const FL_LIMITS = Object.freeze({ maxPartBytes: 64 * 1024, maxPeers: 1024, maxEpochs: 100, maxBatch: 65_536 });

export const roundIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'round id must be 1-64 chars of [a-z0-9-]');
const publicKeySchema = bytesSchema.refine((b) => b.length === 32, 'expected a 32-byte X25519 public key');

/** A blob fetched like a bundle: sha256 of the whole and of each chunk. */
export const blobRefSchema = z.object({
  digest: sha256HexSchema,
  sizeBytes: z.int().min(1),
  chunkBytes: z
    .int()
    .min(1024)
    .max(1024 * 1024),
  chunks: z.array(sha256HexSchema).min(1).max(65_536),
});
export type BlobRef = z.infer<typeof blobRefSchema>;

export const dpSettingsSchema = z.object({
  /** L2 norm each update is clipped to before noise (Abadi et al. 2016 §3.1). */
  clipNorm: z.number().positive().max(1e6),
  /** σ / clipNorm of the Gaussian noise added to each clipped update. */
  noiseMultiplier: z.number().nonnegative().max(1e3),
});
export type DpSettings = z.infer<typeof dpSettingsSchema>;

export const flTaskSchema = z.object({
  jobId: roundIdSchema,
  roundId: roundIdSchema,
  round: z.int().min(1),
  line: modelLineSchema,
  spec: mlpSpecSchema,
  weights: blobRefSchema,
  epochs: z.int().min(1).max(FL_LIMITS.maxEpochs),
  /** 0 = the whole local dataset in one batch (FedSGD). */
  batchSize: z.int().min(0).max(FL_LIMITS.maxBatch),
  lr: z.number().positive().max(10),
  /** FedProx proximal weight μ (Li et al. 2020); 0 = plain local SGD. */
  mu: z.number().nonnegative().max(100),
  minSamples: z.int().min(1),
  deadline: timestampMsSchema,
  /**
   * Secure aggregation: masked updates are `sampleCount · delta` in fixed point with `scaleBits` fractional
   * bits, each delta coordinate clamped to ±clipAbs first (see fixed-point.ts for the overflow bound).
   */
  secureAggregation: z
    .object({ scaleBits: z.int().min(4).max(24), clipAbs: z.number().positive().max(1e6) })
    .nullable(),
  dp: dpSettingsSchema.nullable(),
  seed: z.int().nonnegative(),
});
export type FlTask = z.infer<typeof flTaskSchema>;

export const flTaskMessageSchema = z.discriminatedUnion('type', [
  z.object({ ...messageBase, type: z.literal('fl-task'), task: flTaskSchema }),
  z.object({
    ...messageBase,
    type: z.literal('fl-peers'),
    roundId: roundIdSchema,
    peers: z
      .array(z.object({ deviceId: deviceIdSchema, publicKey: publicKeySchema }))
      .min(1)
      .max(FL_LIMITS.maxPeers),
  }),
  z.object({
    ...messageBase,
    type: z.literal('fl-reveal-req'),
    roundId: roundIdSchema,
    dropped: z.array(deviceIdSchema).min(1).max(FL_LIMITS.maxPeers),
  }),
  z.object({ ...messageBase, type: z.literal('fl-cancel'), roundId: roundIdSchema, reason: z.string().max(256) }),
]);
export type FlTaskMessage = z.infer<typeof flTaskMessageSchema>;

/** Why a device did not take a task; the coordinator counts these per round. */
export const declineReasonSchema = z.enum([
  'not-enough-samples',
  'busy',
  'not-idle',
  'battery',
  'thermal',
  'disabled',
  'error',
]);
export type DeclineReason = z.infer<typeof declineReasonSchema>;

export const updateEncodingSchema = z.enum(['f32-delta', 'u32-masked']);

export const flUpdateMessageSchema = z.discriminatedUnion('type', [
  z.object({
    ...messageBase,
    type: z.literal('fl-accept'),
    roundId: roundIdSchema,
    sampleCount: z.int().min(1),
    publicKey: publicKeySchema.nullable(),
  }),
  z.object({ ...messageBase, type: z.literal('fl-decline'), roundId: roundIdSchema, reason: declineReasonSchema }),
  z.object({
    ...messageBase,
    type: z.literal('fl-update-part'),
    roundId: roundIdSchema,
    index: z.int().nonnegative(),
    count: z.int().min(1).max(65_536),
    bytes: bytesSchema.refine((b) => b.length <= FL_LIMITS.maxPartBytes, 'update part exceeds 64 KiB'),
  }),
  z.object({
    ...messageBase,
    type: z.literal('fl-update-done'),
    roundId: roundIdSchema,
    sampleCount: z.int().min(1),
    encoding: updateEncodingSchema,
    digest: sha256HexSchema,
    metrics: z.object({ loss: z.number(), steps: z.int().nonnegative(), trainMs: z.number().nonnegative() }),
  }),
  z.object({
    ...messageBase,
    type: z.literal('fl-reveal'),
    roundId: roundIdSchema,
    seeds: z.array(z.object({ peer: deviceIdSchema, seed: bytesSchema })).max(FL_LIMITS.maxPeers),
  }),
]);
export type FlUpdateMessage = z.infer<typeof flUpdateMessageSchema>;
