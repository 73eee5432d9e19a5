/**
 * In-process counters the control plane exposes through `metrics.snapshot()`: rejections by error code
 * (every refused MQTT message, ACL refusal or failed authentication), chunks served per device and MQTT
 * messages received per topic kind. Plain maps so tests can assert exact numbers without a scrape.
 */

export interface MetricsSnapshot {
  readonly rejectionsByCode: Record<string, number>;
  readonly chunksServedByDevice: Record<string, number>;
  readonly messagesByKind: Record<string, number>;
}

export interface Metrics {
  countRejection(code: string): void;
  countChunksServed(deviceId: string, chunks: number): void;
  countMessage(kind: string): void;
  snapshot(): MetricsSnapshot;
}

function bump(map: Map<string, number>, key: string, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export function createMetrics(): Metrics {
  const rejections = new Map<string, number>();
  const chunks = new Map<string, number>();
  const messages = new Map<string, number>();
  return {
    countRejection: (code) => bump(rejections, code, 1),
    countChunksServed: (deviceId, count) => bump(chunks, deviceId, count),
    countMessage: (kind) => bump(messages, kind, 1),
    snapshot: () => ({
      rejectionsByCode: Object.fromEntries(rejections),
      chunksServedByDevice: Object.fromEntries(chunks),
      messagesByKind: Object.fromEntries(messages),
    }),
  };
}
