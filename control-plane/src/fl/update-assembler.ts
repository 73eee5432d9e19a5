/**
 * Reassembles one client's update from its `fl-update-part` messages. The expected size is known before the
 * first byte arrives (parameter count × 4 bytes, float32 delta or uint32 masked words), so a client can
 * never make the coordinator buffer more than one model's worth ("endless data"): parts beyond the
 * declared count, a count that changes, or bytes beyond the expected size are refused with
 * FL_UPDATE_INVALID. `finish` checks completeness, exact size and the sha256 the client declared.
 */
import { type FlUpdateMessage, float32FromBytes, sha256Hex, uint32FromBytes } from '@edgefleet/protocol';
import { ControlPlaneError } from '../errors.js';
import { validateUpdate } from './strategies/client-update.js';

export interface UpdateAssembler {
  add(part: { index: number; count: number; bytes: Uint8Array }): void;
  /** The whole update; throws FL_UPDATE_INVALID when parts are missing or the digest differs. */
  finish(digest: string): Uint8Array;
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new ControlPlaneError('FL_UPDATE_INVALID', message, { details });

export function createUpdateAssembler(expectedBytes: number): UpdateAssembler {
  const parts = new Map<number, Uint8Array>();
  let declaredCount: number | null = null;
  let received = 0;
  return {
    add({ index, count, bytes }) {
      if (declaredCount !== null && count !== declaredCount)
        throw invalid('update part count changed', { count, declaredCount });
      if (index >= count) throw invalid(`part ${index} is outside the declared ${count} parts`);
      declaredCount = count;
      const previous = parts.get(index);
      if (previous !== undefined) received -= previous.length; // a QoS 1 redelivery replaces, never adds
      if (received + bytes.length > expectedBytes) {
        throw invalid(`update exceeds the expected ${expectedBytes} bytes`, { received: received + bytes.length });
      }
      parts.set(index, bytes);
      received += bytes.length;
    },
    finish(digest) {
      if (declaredCount === null || parts.size !== declaredCount) {
        throw invalid('update is missing parts', { received: parts.size, declared: declaredCount });
      }
      if (received !== expectedBytes) throw invalid(`update has ${received} bytes, expected ${expectedBytes}`);
      const whole = new Uint8Array(expectedBytes);
      let offset = 0;
      for (let i = 0; i < declaredCount; i++) {
        const part = parts.get(i) as Uint8Array;
        whole.set(part, offset);
        offset += part.length;
      }
      if (sha256Hex(whole) !== digest) throw invalid('update bytes do not match the declared digest');
      return whole;
    },
  };
}

/**
 * A reassembled update as the round expects it: uint32 masked words under secure aggregation (whose sample
 * count is the unmasking divisor, so it must equal the count announced at accept), else a float32 delta that
 * passes `validateUpdate` (length, NaN/Inf, count). Throws FL_UPDATE_INVALID otherwise.
 */
export function decodeUpdate(options: {
  bytes: Uint8Array;
  message: Extract<FlUpdateMessage, { type: 'fl-update-done' }>;
  secure: boolean;
  announcedSamples: number;
  deviceId: string;
  parameterCount: number;
}): Float32Array | Uint32Array {
  const { message, secure } = options;
  const expected = secure ? 'u32-masked' : 'f32-delta';
  if (message.encoding !== expected)
    throw invalid(`this round expects ${expected} updates`, { roundId: message.roundId });
  if (!secure) {
    const delta = float32FromBytes(options.bytes);
    validateUpdate({ deviceId: options.deviceId, delta, sampleCount: message.sampleCount }, options.parameterCount);
    return delta;
  }
  if (message.sampleCount !== options.announcedSamples) {
    throw invalid('sample count differs from the one announced at accept', {
      announced: options.announcedSamples,
      sent: message.sampleCount,
    });
  }
  return uint32FromBytes(options.bytes);
}
