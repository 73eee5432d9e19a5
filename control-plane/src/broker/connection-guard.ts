/**
 * What the embedded broker checks before a client has authenticated, so that reaching the MQTT port
 * costs the control plane almost nothing: a connection cap, a connect rate per remote address, and a look
 * at every packet's announced size as its first bytes arrive (`mqtt-frame-scanner.ts`) — a CONNECT over
 * its cap, any packet over the packet cap, a first packet that is not a CONNECT or more pre-authentication
 * bytes than a CONNECT needs close the connection before the MQTT parser buffers the packet.
 *
 * The scanner sits on the stream's `read()`, which is how the broker's client pulls bytes: it sees exactly
 * what the parser will see, before the parser does.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '@edgefleet/protocol';
import type { BrokerLimits } from './broker-limits.js';
import { createMqttFrameScanner, type FrameViolation } from './mqtt-frame-scanner.js';
import { createTokenBucket, type TokenBucket } from './token-bucket.js';

/** Remote addresses whose connect rate is tracked at once; the oldest is forgotten beyond it. */
const MAX_TRACKED_ADDRESSES = 10_000;

export interface Refusal {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly remoteAddress?: string | undefined;
  readonly details?: Record<string, unknown>;
}

export interface ConnectionGuard {
  /** A new TCP connection: false (and destroyed) when its address connects too often. */
  admit(socket: Socket): boolean;
  /** Watches the packets of a connection; closes it on a violation. */
  watch(stream: Duplex, remoteAddress?: string): void;
  /** The connection's credentials were accepted: the pre-authentication byte cap no longer applies. */
  authenticated(stream: Duplex): void;
}

function describe(violation: FrameViolation): { code: ErrorCode; reason: string; details: Record<string, unknown> } {
  switch (violation.kind) {
    case 'first-packet-not-connect':
      return {
        code: 'MQTT_PROTOCOL_INVALID',
        reason: 'the first packet is not a CONNECT',
        details: { packetType: violation.packetType },
      };
    case 'malformed-length':
      return { code: 'MQTT_PROTOCOL_INVALID', reason: 'a Remaining Length longer than four bytes', details: {} };
    case 'connect-too-large':
      return {
        code: 'MESSAGE_TOO_LARGE',
        reason: 'CONNECT larger than the limit',
        details: { announcedBytes: violation.announcedBytes, limit: violation.limit },
      };
    case 'packet-too-large':
      return {
        code: 'MESSAGE_TOO_LARGE',
        reason: 'packet larger than the limit',
        details: { packetType: violation.packetType, announcedBytes: violation.announcedBytes, limit: violation.limit },
      };
  }
}

export function createConnectionGuard(
  limits: BrokerLimits,
  onRefusal: (refusal: Refusal) => void,
  now: () => number = Date.now,
): ConnectionGuard {
  const addresses = new Map<string, TokenBucket>();
  const pending = new WeakMap<Duplex, { authenticated: boolean }>();

  function bucketOf(address: string): TokenBucket {
    let bucket = addresses.get(address);
    if (bucket === undefined) {
      if (addresses.size >= MAX_TRACKED_ADDRESSES) addresses.delete(addresses.keys().next().value as string);
      bucket = createTokenBucket(limits.connectBurstPerAddress, limits.connectsPerSecondPerAddress, now());
      addresses.set(address, bucket);
    }
    return bucket;
  }

  return {
    admit(socket) {
      const address = socket.remoteAddress ?? 'unknown';
      if (bucketOf(address).take(1, now())) return true;
      socket.destroy();
      onRefusal({ code: 'RATE_LIMITED', reason: 'too many connections from one address', remoteAddress: address });
      return false;
    },

    watch(stream, remoteAddress) {
      const scanner = createMqttFrameScanner(limits);
      const state = { authenticated: false };
      pending.set(stream, state);
      let preAuthBytes = 0;
      const read = stream.read.bind(stream);
      const refuse = (refusal: Omit<Refusal, 'remoteAddress'>) => {
        stream.read = () => null;
        stream.destroy();
        onRefusal({ ...refusal, remoteAddress });
      };
      stream.read = (size?: number) => {
        const chunk: unknown = read(size);
        if (chunk === null || !(chunk instanceof Uint8Array)) return chunk;
        const violation = scanner.push(chunk);
        if (violation !== undefined) {
          refuse(describe(violation));
          return null;
        }
        if (!state.authenticated) {
          preAuthBytes += chunk.byteLength;
          if (preAuthBytes > limits.maxPreAuthBytes) {
            refuse({
              code: 'MESSAGE_TOO_LARGE',
              reason: 'more bytes before authentication than a CONNECT needs',
              details: { bytes: preAuthBytes, limit: limits.maxPreAuthBytes },
            });
            return null;
          }
        }
        return chunk;
      };
    },

    authenticated(stream) {
      const state = pending.get(stream);
      if (state !== undefined) state.authenticated = true;
    },
  };
}
