/**
 * Fuzz target for the firmware bridge's serial link (DESIGN.md §6): the bytes between two delimiters go
 * through `decodeFrame` (COBS, length bound, CRC-32) and the payload through `decodeMessage` (the message
 * type's schema). Inputs are valid frames of each message type, damaged on the wire (byte mutations — the
 * CRC must catch them) or carrying a mutated CBOR payload under a correct CRC (so the message parser is
 * reached). Accepted wire damage must decode to the original frame; an accepted payload must be strictly
 * valid CBOR that the message type's encoder (its schema) also takes.
 */
import {
  decodeFrame,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  MESSAGE_TYPES,
  type MessageName,
} from '@edgefleet/firmware-bridge';
import { EdgefleetError } from '@edgefleet/protocol';
import fc from 'fast-check';
import { FuzzFinding, type FuzzTarget, rejectsCleanly } from './fuzz-target.js';
import { byteMutant, treeMutant } from './mutations.js';
import { strictDecode, toNode } from './strict-cbor.js';

const SEEDS: Array<{ name: MessageName; body: Record<string, unknown> }> = [
  {
    name: 'hello',
    body: {
      mcu: 'mcu-1',
      fw: '1.0.0',
      board: 'esp32',
      arch: 'xtensa',
      ramBytes: 320_000,
      flashBytes: 4_000_000,
      maxFrame: 1024,
      window: 4,
      ownModel: false,
      images: [{ crc: 12345, size: 900 }],
      staged: null,
    },
  },
  { name: 'readings', body: { id: 7, rows: [[0.1, 0.2, 0.3, 0.4]], line: 'iris' } },
  { name: 'infer-res', body: { id: 7, outputs: [[0.1, 0.9]], version: 2, us: 830 } },
  { name: 'model-chunk', body: { img: 99, off: 256, data: new Uint8Array(64).fill(4), crc: 77 } },
  { name: 'model-ack', body: { img: 99, off: 320, status: 'resume' } },
  { name: 'log', body: { level: 'warn', msg: 'flash write retried' } },
];

type SerialInput =
  | { readonly kind: 'wire'; readonly seed: number; readonly bytes: Uint8Array }
  | { readonly kind: 'payload'; readonly seed: number; readonly payload: Uint8Array };

/** A frame with a correct CRC around any payload (what a buggy or hostile MCU can always send). */
function frameAround(type: number, payload: Uint8Array): Uint8Array {
  // A large limit so that oversized payloads still reach decodeFrame's own bound.
  const framed = encodeFrame({ type, seq: 5, payload }, 1 << 20);
  return framed.subarray(0, framed.length - 1);
}

export function serialTarget(): FuzzTarget<SerialInput> {
  const seeds = SEEDS.map((s) => {
    const type = MESSAGE_TYPES[s.name];
    const payload = encodeMessage(s.name, s.body as never);
    const wire = encodeFrame({ type, seq: 5, payload });
    return { ...s, type, payload, wire: wire.subarray(0, wire.length - 1) };
  });
  const input: fc.Arbitrary<SerialInput> = fc.oneof(
    ...seeds.map((s, seed) => byteMutant(s.wire).map((bytes) => ({ kind: 'wire', seed, bytes }) as const)),
    ...seeds.map((s, seed) =>
      treeMutant(toNode(s.body)).map((payload) => ({ kind: 'payload', seed, payload }) as const),
    ),
  );
  return {
    name: 'serial frame',
    input,
    check(c) {
      const seed = seeds[c.seed]!;
      const bytes = c.kind === 'wire' ? c.bytes : frameAround(seed.type, c.payload);
      const framed = rejectsCleanly(() => decodeFrame(bytes));
      if (framed.verdict === 'rejected') return 'rejected';
      const frame = framed.value as ReturnType<typeof decodeFrame>;
      if (c.kind === 'wire' && (frame.type !== seed.type || !sameBytes(frame.payload, seed.payload))) {
        // CRC-32 misses a random corruption with probability 2^-32 (Koopman 2004): a pass here is a bug.
        throw new FuzzFinding('accepted-invalid', 'a damaged frame passed the CRC with different content');
      }
      const decoded = rejectsCleanly(() => decodeMessage(frame.type, frame.payload));
      if (decoded.verdict === 'rejected') return 'rejected';
      const message = decoded.value as ReturnType<typeof decodeMessage>;
      const oracle = strictDecode(frame.payload);
      if (!oracle.ok) throw new FuzzFinding('accepted-invalid', `accepted invalid CBOR (${oracle.why})`);
      try {
        encodeMessage(message.name, oracle.value as never);
      } catch (error) {
        if (error instanceof EdgefleetError || (error as Error).name === 'ZodError') {
          throw new FuzzFinding('accepted-invalid', 'accepted a payload its own schema refuses');
        }
        throw error;
      }
      return 'accepted';
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
