/**
 * `telemetry` (device → cp): inference windows (counts, errors, latency summary). Stored once per
 * (device, seq) so a redelivered batch never double-counts.
 */
import { telemetryMessageSchema } from '@edgefleet/protocol';
import { telemetryWindows } from '../../db/schema.js';
import { defineHandler } from '../ingest-context.js';

export const telemetryHandler = defineHandler({
  kind: 'telemetry',
  schema: telemetryMessageSchema,
  async handle(context, deviceId, message) {
    for (const w of message.records) {
      if (w.kind !== 'inference') continue; // drift windows: see the drift ingest (issue 5, in progress)
      context.db
        .insert(telemetryWindows)
        .values({
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
        })
        .onConflictDoNothing()
        .run();
    }
    context.devices.touch(deviceId);
  },
});
