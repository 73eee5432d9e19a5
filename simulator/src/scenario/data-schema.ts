/**
 * A cohort's `data`: the generator that makes its devices' inputs, and the drift injected from a given
 * virtual minute on. `iris` (the default) feeds the built-in iris models rows; `image`, `audio` and
 * `tensor` feed a model file named tensors: seeded images with smooth structure, seeded audio frames (one
 * continuous stream per device) and uniform tensors for any other graph. Whether a generator fits the model
 * (input names, element types, dims) is checked against the model file when the run starts
 * (../generators/fit-contract.ts), with these fields' paths in the messages.
 */
import { dimsSchema, TENSOR_DTYPES, tensorNameSchema } from '@edgefleet/protocol';
import { z } from 'zod';

const atMin = z.number().min(0);
const pixels = z.number().min(-255).max(255);

const irisDriftSchema = z.strictObject({
  atMin,
  /** Added to each feature (cm) from `atMin` on; one entry per iris feature. */
  shift: z.array(z.number()).length(4),
  /** Multiplies each feature's spread around its class mean. */
  scale: z.number().positive().default(1),
});

const irisDataSchema = z.strictObject({
  generator: z.literal('iris'),
  /** The former spelling of `generator: iris`. */
  dataset: z.literal('iris').optional(),
  drift: irisDriftSchema.optional(),
});

/** Constant inputs besides the generated one (silero VAD's `sr`: an int64 scalar). */
const extraSchema = z.record(
  tensorNameSchema,
  z.strictObject({ dtype: z.enum(TENSOR_DTYPES), dims: dimsSchema.default([]), value: z.number() }),
);

const channelValues = (positive: boolean) =>
  z.union([positive ? z.number().positive() : z.number(), z.array(positive ? z.number().positive() : z.number())]);

const imageDataSchema = z
  .strictObject({
    generator: z.literal('image'),
    input: tensorNameSchema,
    /** [N, C, H, W] (layout NCHW) or [N, H, W, C] (layout NHWC): N images per call. */
    dims: z.array(z.int().min(1).max(16_384)).length(4),
    layout: z.enum(['NCHW', 'NHWC']).default('NCHW'),
    /** Added to every pixel (0-255 scale). */
    brightness: pixels.default(0),
    /** Pixel noise amplitude (0-255 scale, uniform ± noise/2). */
    noise: z.number().min(0).max(255).default(20),
    /** Float inputs get (pixel / 255 − mean) / std, per channel or for all; pixel / 255 without it. */
    normalize: z.strictObject({ mean: channelValues(false), std: channelValues(true) }).optional(),
    extra: extraSchema.optional(),
    drift: z.strictObject({ atMin, brightness: pixels }).optional(),
  })
  .superRefine((data, ctx) => {
    const channels = data.layout === 'NCHW' ? data.dims[1] : data.dims[3];
    for (const key of ['mean', 'std'] as const) {
      const value = data.normalize?.[key];
      if (Array.isArray(value) && value.length !== channels) {
        ctx.addIssue({
          code: 'custom',
          path: ['normalize', key],
          message: `has ${value.length} entries, dims [${data.dims.join(', ')}] (${data.layout}) have ${channels} channels`,
        });
      }
    }
  });

const audioDataSchema = z.strictObject({
  generator: z.literal('audio'),
  input: tensorNameSchema,
  /** Samples per call; they fill the input's last axis (its other axes are 1). */
  frameSamples: z.int().min(1).max(1_048_576),
  sampleRate: z.int().min(1000).max(384_000),
  /** Noise amplitude (uniform ± noise/2) on the [-1, 1] scale. */
  noise: z.number().min(0).max(2).default(0.01),
  extra: extraSchema.optional(),
  /** Calls name the device's stream (its id): needed by models with recurrent state. */
  stream: z.boolean().default(true),
  /** `gain` multiplies the signal from `atMin` on. */
  drift: z.strictObject({ atMin, gain: z.number().min(0).max(100) }).optional(),
});

const tensorDataSchema = z.strictObject({
  generator: z.literal('tensor'),
  inputs: z
    .record(
      tensorNameSchema,
      z
        .strictObject({
          /** The model input's element type when absent. */
          dtype: z.enum(TENSOR_DTYPES).optional(),
          dims: dimsSchema,
          low: z.number().default(0),
          high: z.number().default(1),
        })
        .refine((t) => t.low <= t.high, { message: 'low must not exceed high', path: ['high'] }),
    )
    .refine((inputs) => Object.keys(inputs).length > 0, 'name at least one input'),
  /** `shift` is added to every element from `atMin` on (rounded for integer inputs). */
  drift: z.strictObject({ atMin, shift: z.number() }).optional(),
});

/** `data` without `generator` is iris (scenarios written before the other generators). */
export const dataSchema = z.preprocess(
  (value) => {
    if (value === undefined) return { generator: 'iris' };
    if (typeof value === 'object' && value !== null && !('generator' in value)) return { generator: 'iris', ...value };
    return value;
  },
  z.discriminatedUnion('generator', [irisDataSchema, imageDataSchema, audioDataSchema, tensorDataSchema]),
);

export type CohortData = z.output<typeof dataSchema>;
export type IrisData = Extract<CohortData, { generator: 'iris' }>;
export type ImageData = Extract<CohortData, { generator: 'image' }>;
export type AudioData = Extract<CohortData, { generator: 'audio' }>;
export type TensorData = Extract<CohortData, { generator: 'tensor' }>;
export type ExtraInputs = NonNullable<ImageData['extra']>;
