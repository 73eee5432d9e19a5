/**
 * The messages of the serial link (DESIGN.md §6), one frame type each, with the zod schema every received
 * payload must pass (validated at the boundary, like MQTT payloads). Payloads are CBOR maps decoded with the
 * protocol's size and depth limits. `ack` is the link layer's own (reliable-link.ts); `hello` / `welcome`
 * are the handshake that (re)synchronises sequence numbers after a boot; the rest ride on the reliable link.
 *
 *   hello      MCU → gw  id, firmware, board, RAM / flash budget, receive limits, own model?, flash images
 *   welcome    gw → MCU  gateway id and its receive limits
 *   readings   MCU → gw  sensor rows; the gateway answers with infer-res from the child's model
 *   infer-req  gw → MCU  run the flash image `img` (CRC-32) on rows: self-test vectors and readings
 *   infer-res  both      outputs (or an error) for a request / readings id
 *   model-offer gw → MCU an image (CRC-32, size, chunk size); model-ack says where to resume
 *   model-chunk gw → MCU bytes at an offset, with their own CRC-32 (checked after the flash write)
 *   model-ack  MCU → gw  next offset wanted, or complete / refused / corrupt
 *   log        MCU → gw  a firmware log line
 */
import { CHILD_NAME_PATTERN, type DecodeLimits, decodeCbor, encodeCbor, modelLineSchema } from '@edgefleet/protocol';
import { z } from 'zod';
import { BridgeError } from '../errors.js';

export const MESSAGE_TYPES = Object.freeze({
  ack: 0x01,
  hello: 0x10,
  welcome: 0x11,
  readings: 0x20,
  'infer-req': 0x21,
  'infer-res': 0x22,
  'model-offer': 0x30,
  'model-chunk': 0x31,
  'model-ack': 0x32,
  log: 0x40,
});

/** An MCU's id, its name under the gateway (`{gateway}--{mcu}`): short enough for any gateway id ≤ 30. */
export const mcuIdSchema = z
  .string()
  .max(30)
  .regex(CHILD_NAME_PATTERN, 'mcu id must be [a-z0-9] runs joined by single -');
const u32 = z.int().min(0).max(0xffff_ffff);
const rowsSchema = z.array(z.array(z.number()).min(1).max(256)).min(1).max(16);
const imageSchema = z.object({ crc: u32, size: z.int().min(1) });

const SCHEMAS = {
  hello: z.object({
    mcu: mcuIdSchema,
    fw: z.string().min(1).max(32),
    board: z.string().min(1).max(64),
    arch: z.string().min(1).max(32),
    ramBytes: z.int().positive(),
    flashBytes: z.int().nonnegative(),
    maxFrame: z.int().min(64).max(4096),
    window: z.int().min(1).max(16),
    ownModel: z.boolean(),
    images: z.array(imageSchema).max(2),
    staged: imageSchema.extend({ have: z.int().nonnegative() }).nullable(),
  }),
  welcome: z.object({
    gw: z.string().min(1).max(63),
    maxFrame: z.int().min(64).max(4096),
    window: z.int().min(1).max(16),
  }),
  readings: z.object({ id: u32, rows: rowsSchema, line: modelLineSchema.optional() }),
  'infer-req': z.object({ id: u32, img: u32, rows: rowsSchema }),
  'infer-res': z.object({
    id: u32,
    outputs: z.array(z.array(z.number()).max(256)).max(16).optional(),
    version: z.int().positive().optional(),
    us: z.int().nonnegative().optional(),
    error: z.string().max(64).optional(),
  }),
  'model-offer': z.object({ img: u32, size: z.int().min(1), chunk: z.int().min(16).max(4096) }),
  'model-chunk': z.object({
    img: u32,
    off: z.int().nonnegative(),
    data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a byte string'),
    crc: u32,
  }),
  'model-ack': z.object({
    img: u32,
    off: z.int().nonnegative(),
    status: z.enum(['resume', 'ok', 'complete', 'refused', 'corrupt']),
    reason: z.string().max(64).optional(),
  }),
  log: z.object({ level: z.enum(['debug', 'info', 'warn', 'error']), msg: z.string().max(200) }),
} as const;

export type MessageName = keyof typeof SCHEMAS;
export type MessageBody<N extends MessageName> = z.output<(typeof SCHEMAS)[N]>;
export type Message = { [N in MessageName]: { readonly name: N; readonly body: MessageBody<N> } }[MessageName];

const NAMES = new Map<number, MessageName>(
  Object.entries(MESSAGE_TYPES).flatMap(([name, type]) => (name === 'ack' ? [] : [[type, name as MessageName]])),
);

/** The CBOR payload of `name`; the body is checked against its schema first, so a bug never reaches the wire. */
export function encodeMessage<N extends MessageName>(name: N, body: MessageBody<N>): Uint8Array {
  return encodeCbor(SCHEMAS[name].parse(body));
}

/** Decodes a frame's payload; FRAME_TYPE_UNKNOWN, CBOR_MALFORMED, MESSAGE_TOO_LARGE or SCHEMA_INVALID otherwise. */
export function decodeMessage(type: number, payload: Uint8Array, limits: DecodeLimits = {}): Message {
  const name = NAMES.get(type);
  if (name === undefined) {
    throw new BridgeError('FRAME_TYPE_UNKNOWN', `unknown message type 0x${type.toString(16).padStart(2, '0')}`, {
      details: { type },
    });
  }
  return { name, body: decodeCbor(payload, SCHEMAS[name], limits) } as Message;
}
