/**
 * Field schemas shared by every message and document: ids, digests, versions, byte strings. One place
 * decides what a valid model line or digest looks like, so both sides of the wire agree.
 */
import { z } from 'zod';
import { DEVICE_ID_PATTERN } from '../topics.js';

export const deviceIdSchema = z.string().regex(DEVICE_ID_PATTERN, 'device id must be 1-63 chars of [a-z0-9-]');
/** A model line ("iris-classifier"): same alphabet as device ids, it names slot directories. */
export const modelLineSchema = z.string().regex(DEVICE_ID_PATTERN, 'model line must be 1-63 chars of [a-z0-9-]');
export const sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lowercase hex sha256');
export const versionSchema = z
  .int()
  .min(1)
  .max(2 ** 31 - 1);
export const timestampMsSchema = z.int().nonnegative();
export const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a byte string');
export const errorInfoSchema = z.object({ code: z.string().max(64), message: z.string().max(1024) });

/** A message before its envelope fields `v` and `ts` are stamped (distributes over a union of messages). */
export type Unstamped<T> = T extends unknown ? Omit<T, 'v' | 'ts'> : never;

/** Fields every MQTT message carries (DESIGN.md §2). */
export const messageBase = { v: z.literal(1), ts: timestampMsSchema } as const;
