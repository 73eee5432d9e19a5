/**
 * An exact-topic index over the broker's retained messages. aedes' memory persistence answers every
 * SUBSCRIBE by testing each retained message against each filter (a scan of all of them per subscription),
 * so a fleet where every device has a retained `desired` and `reported` message pays O(devices) per
 * connect — O(n²) for the fleet coming online after a broker restart. Device subscriptions never contain
 * wildcards (the ACL refuses them), so a Map from topic to message answers them in O(1); filters with `+`
 * or `#` (the control plane's own) still go to the original scan. MQTT 3.1.1 §3.3.1.3: a retained message
 * with an empty payload deletes the topic's retained message.
 */
import { Readable } from 'node:stream';

interface RetainedPacket {
  readonly topic: string;
  readonly payload: Buffer | string;
}

/** The part of aedes' persistence this wraps (aedes-persistence's async/callback interface). */
export interface RetainedPersistence {
  storeRetained(packet: RetainedPacket, ...rest: unknown[]): unknown;
  createRetainedStreamCombi(patterns: string[]): Readable;
}

const hasWildcard = (pattern: string) => pattern.includes('+') || pattern.includes('#');

/** Patches `persistence` in place; returns the number of indexed topics (for tests and metrics). */
export function indexRetainedByTopic(persistence: RetainedPersistence): { size(): number } {
  const exact = new Map<string, RetainedPacket>();
  const store = persistence.storeRetained.bind(persistence);
  const scan = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.storeRetained = (packet, ...rest) => {
    if (packet.payload.length === 0) exact.delete(packet.topic);
    else exact.set(packet.topic, { ...packet });
    return store(packet, ...rest);
  };
  persistence.createRetainedStreamCombi = (patterns) => {
    if (patterns.some(hasWildcard)) return scan(patterns);
    return Readable.from(patterns.flatMap((topic) => exact.get(topic) ?? []));
  };
  return { size: () => exact.size };
}
