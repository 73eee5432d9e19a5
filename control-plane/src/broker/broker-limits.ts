/**
 * The embedded broker's bounds, before and after authentication. Defaults are sized from the largest
 * legitimate message: every device → control plane payload is decoded with the protocol codec's limit
 * (`CODEC_LIMITS.maxMessageBytes`), so a packet may carry that plus its topic and header.
 */
import { CODEC_LIMITS } from '@edgefleet/protocol';

export interface PublishQuota {
  /** Sustained messages per second per device, and the burst above it. */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  /** Sustained payload bytes per second per device, and the burst above it. */
  readonly bytesPerSecond: number;
  readonly byteBurst: number;
  /** A publish over quota waits up to this long for tokens (back-pressure); beyond it the device is cut off. */
  readonly maxDelayMs: number;
}

export interface BrokerLimits {
  /** Largest MQTT packet (Remaining Length) from any client. */
  readonly maxPacketBytes: number;
  /** Largest CONNECT packet. */
  readonly maxConnectBytes: number;
  /** Bytes a client may send before its credentials are accepted (CONNECT and anything pipelined). */
  readonly maxPreAuthBytes: number;
  /** A CONNECT must have arrived this long after the TCP connection opened. */
  readonly connectTimeoutMs: number;
  /** Open TCP connections to the broker. */
  readonly maxConnections: number;
  /** New connections per remote address: a burst, then this many per second. */
  readonly connectBurstPerAddress: number;
  readonly connectsPerSecondPerAddress: number;
  readonly publish: PublishQuota;
}

export const BROKER_LIMIT_DEFAULTS: BrokerLimits = Object.freeze({
  maxPacketBytes: CODEC_LIMITS.maxMessageBytes + 4096,
  maxConnectBytes: 8192,
  maxPreAuthBytes: 16_384,
  connectTimeoutMs: 10_000,
  maxConnections: 20_000,
  connectBurstPerAddress: 200,
  connectsPerSecondPerAddress: 50,
  publish: Object.freeze({
    messagesPerSecond: 200,
    messageBurst: 2000,
    bytesPerSecond: 2 * 1024 * 1024,
    byteBurst: 16 * 1024 * 1024,
    maxDelayMs: 2000,
  }),
});

export type BrokerLimitsOption = Partial<Omit<BrokerLimits, 'publish'>> & { readonly publish?: Partial<PublishQuota> };

export function resolveBrokerLimits(option: BrokerLimitsOption | undefined): BrokerLimits {
  return {
    ...BROKER_LIMIT_DEFAULTS,
    ...option,
    publish: { ...BROKER_LIMIT_DEFAULTS.publish, ...option?.publish },
  };
}
