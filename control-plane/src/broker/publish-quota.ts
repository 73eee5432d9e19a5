/**
 * Per-device publish quotas at the embedded broker: messages and payload bytes per second, each a token
 * bucket. A publish over quota is delayed until its tokens are there (the device's connection waits: back-
 * pressure, nothing lost); when that would take longer than `maxDelayMs` it is refused.
 */
import type { PublishQuota } from './broker-limits.js';
import { createTokenBucket, type TokenBucket } from './token-bucket.js';

export interface PublishQuotas {
  /** Milliseconds the publish must wait (0: now), or Infinity: refuse it. Spends the tokens when it passes. */
  admit(deviceId: string, payloadBytes: number): number;
}

/** Devices whose buckets are kept (a reconnect does not refill them); the oldest is dropped beyond it. */
const MAX_TRACKED_DEVICES = 200_000;

export function createPublishQuotas(quota: PublishQuota, now: () => number = Date.now): PublishQuotas {
  const devices = new Map<string, { messages: TokenBucket; bytes: TokenBucket }>();
  return {
    admit(deviceId, payloadBytes) {
      const t = now();
      let d = devices.get(deviceId);
      if (d === undefined) {
        d = {
          messages: createTokenBucket(quota.messageBurst, quota.messagesPerSecond, t),
          bytes: createTokenBucket(quota.byteBurst, quota.bytesPerSecond, t),
        };
        if (devices.size >= MAX_TRACKED_DEVICES) devices.delete(devices.keys().next().value as string);
        devices.set(deviceId, d);
      }
      const wait = Math.max(d.messages.borrow(1, t), d.bytes.borrow(payloadBytes, t));
      if (wait > quota.maxDelayMs) {
        d.messages.refund(1);
        d.bytes.refund(payloadBytes);
        return Number.POSITIVE_INFINITY;
      }
      return wait;
    },
  };
}
