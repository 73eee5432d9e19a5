/**
 * Telemetry load from raw devices (no agent): each device publishes `perDevice` valid telemetry messages, one
 * inference window each with a unique `seq`, at QoS 1 on its own connection. Shared by the broker-replica
 * test (every message ingested exactly once) and the broker ingest benchmark.
 */
import { deviceTopic, encodeCbor } from '@edgefleet/protocol';
import { connectAs, type DeviceCredentials } from './raw-device.js';

export function telemetryMessage(seq: number): Uint8Array {
  const now = Date.now();
  return encodeCbor({
    v: 1,
    type: 'telemetry',
    ts: now,
    records: [
      {
        seq,
        kind: 'inference',
        line: 'iris',
        version: 1,
        windowStartMs: now - 1_000,
        windowEndMs: now,
        count: 10,
        errors: 0,
        latencyMs: { p50: 1, p95: 2, p99: 3, max: 4, mean: 1.5 },
      },
    ],
  });
}

/**
 * Publishes seq `firstSeq` … `firstSeq + perDevice - 1` from every device; resolves when all are PUBACKed.
 * Every device connects before any publishes: a flood from the first ones would otherwise hold up the
 * CONNACKs of the rest (an in-process control plane's ingest shares the event loop with the publishers).
 */
export async function publishTelemetry(
  devices: readonly DeviceCredentials[],
  options: { perDevice: number; firstSeq?: number },
): Promise<void> {
  const first = options.firstSeq ?? 0;
  const clients = await Promise.all(devices.map((device) => connectAs(device)));
  try {
    await Promise.all(
      clients.map((client, d) => {
        const topic = deviceTopic((devices[d] as DeviceCredentials).deviceId, 'telemetry');
        const acks: Promise<unknown>[] = [];
        for (let i = 0; i < options.perDevice; i++) {
          acks.push(client.publishAsync(topic, Buffer.from(telemetryMessage(first + i)), { qos: 1 }));
        }
        return Promise.all(acks);
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.endAsync()));
  }
}
