/**
 * Device-side helpers for the broker tests: protocol messages a device would publish, and collectors for
 * what a device receives.
 */
import { encodeCbor } from '@edgefleet/protocol';
import type { MqttClient } from './mqtt.js';

export function telemetryMessage(seqs: number[]): Uint8Array {
  const now = Date.now();
  const records = seqs.map((seq) => ({
    seq,
    kind: 'inference',
    line: 'iris',
    version: 1,
    windowStartMs: now - 60_000,
    windowEndMs: now,
    count: 10,
    errors: 0,
    latencyMs: { p50: 1, p95: 2, p99: 3, max: 4, mean: 1.5 },
  }));
  return encodeCbor({ v: 1, type: 'telemetry', ts: now, records });
}

/** Collects the messages a client receives on `topic` (all topics when null), decoded. */
export function inbox<T>(client: MqttClient, topic: string | null, decode: (payload: Uint8Array) => T): T[] {
  const messages: T[] = [];
  client.on('message', (t, payload) => {
    if (topic === null || t === topic) messages.push(decode(new Uint8Array(payload)));
  });
  return messages;
}

/** SUBACK return codes; MQTT.js rejects when any is 0x80 but carries the packet on the error. */
export async function subackCodes(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted === undefined) throw error;
    return granted;
  }
}
