/**
 * Reads MQTT fixed headers (MQTT 3.1.1 §2.2) as bytes arrive, before any parser buffers them: packet type
 * and Remaining Length of each packet, then skips its body. The embedded broker's parser waits for a whole
 * packet before it looks at it, so a client announcing a 200 MiB packet makes it buffer 200 MiB; the
 * scanner sees the announced length in the first bytes and the connection can be closed right there.
 */

/** MQTT control packet types (§2.2.1). */
export const PACKET_TYPE = Object.freeze({ CONNECT: 1, PUBLISH: 3 });

export interface FrameLimits {
  /** Largest Remaining Length of any packet. */
  readonly maxPacketBytes: number;
  /** Largest Remaining Length of the CONNECT packet. */
  readonly maxConnectBytes: number;
}

export type FrameViolation =
  | { readonly kind: 'first-packet-not-connect'; readonly packetType: number }
  | { readonly kind: 'connect-too-large'; readonly announcedBytes: number; readonly limit: number }
  | {
      readonly kind: 'packet-too-large';
      readonly packetType: number;
      readonly announcedBytes: number;
      readonly limit: number;
    }
  | { readonly kind: 'malformed-length' };

export interface MqttFrameScanner {
  /** Scans `chunk`; the first violation found, or undefined. After a violation the scanner stays failed. */
  push(chunk: Uint8Array): FrameViolation | undefined;
  /** Packets whose header has been read. */
  readonly packets: number;
}

export function createMqttFrameScanner(limits: FrameLimits): MqttFrameScanner {
  // header: waiting for the type byte; length: reading the Remaining Length varint; body: skipping bytes.
  let phase: 'header' | 'length' | 'body' = 'header';
  let packetType = 0;
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let remaining = 0;
  let packets = 0;
  let failed: FrameViolation | undefined;

  function headerDone(): FrameViolation | undefined {
    packets++;
    if (packets === 1 && packetType !== PACKET_TYPE.CONNECT) return { kind: 'first-packet-not-connect', packetType };
    if (packetType === PACKET_TYPE.CONNECT && length > limits.maxConnectBytes) {
      return { kind: 'connect-too-large', announcedBytes: length, limit: limits.maxConnectBytes };
    }
    if (length > limits.maxPacketBytes) {
      return { kind: 'packet-too-large', packetType, announcedBytes: length, limit: limits.maxPacketBytes };
    }
    remaining = length;
    phase = remaining === 0 ? 'header' : 'body';
    return undefined;
  }

  function scan(chunk: Uint8Array): FrameViolation | undefined {
    let i = 0;
    while (i < chunk.length) {
      if (phase === 'body') {
        const skip = Math.min(remaining, chunk.length - i);
        remaining -= skip;
        i += skip;
        if (remaining === 0) phase = 'header';
        continue;
      }
      const byte = chunk[i++] as number;
      if (phase === 'header') {
        packetType = byte >> 4;
        phase = 'length';
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        continue;
      }
      // §2.2.3: seven bits per byte, least significant first, at most four bytes.
      length += (byte & 0x7f) * multiplier;
      multiplier *= 128;
      lengthBytes++;
      if ((byte & 0x80) === 0) {
        const violation = headerDone();
        if (violation !== undefined) return violation;
      } else if (lengthBytes === 4) {
        return { kind: 'malformed-length' };
      }
    }
    return undefined;
  }

  return {
    push(chunk) {
      failed ??= scan(chunk);
      return failed;
    },
    get packets() {
      return packets;
    },
  };
}
