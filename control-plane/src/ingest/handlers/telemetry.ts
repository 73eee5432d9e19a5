/**
 * `telemetry` (device → cp): inference windows (counts, errors, latency summary) and drift windows (see
 * drift-windows.ts) and shadow windows (shadow-windows.ts). Stored once per (device, seq) so a redelivered
 * batch never double-counts; inference windows go through the batching telemetry writer (telemetry-writer.ts).
 */
import { type DriftWindow, telemetryMessageSchema } from '@edgefleet/protocol';
import { defineHandler } from '../ingest-context.js';
import { storeDriftWindows } from './drift-windows.js';
import { storeShadowWindow } from './shadow-windows.js';

export const telemetryHandler = defineHandler({
  kind: 'telemetry',
  schema: telemetryMessageSchema,
  async handle(context, deviceId, message) {
    const drift: DriftWindow[] = [];
    const stored: Promise<void>[] = [];
    for (const w of message.records) {
      if (w.kind === 'drift') {
        drift.push(w);
        continue;
      }
      if (w.kind === 'shadow') {
        await storeShadowWindow(context, deviceId, w);
        continue;
      }
      stored.push(
        context.telemetry.add({
          deviceId,
          seq: w.seq,
          line: w.line,
          version: w.version,
          windowStartMs: w.windowStartMs,
          windowEndMs: w.windowEndMs,
          count: w.count,
          errors: w.errors,
          latencyMs: { ...w.latencyMs },
          receivedAt: context.now(),
        }),
      );
    }
    await storeDriftWindows(context, deviceId, drift);
    await context.devices.touch(deviceId);
    // The message is handled once its inference windows are committed (the publish is acknowledged then).
    await Promise.all(stored);
  },
});
