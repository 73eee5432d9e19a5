/**
 * The drift half of `telemetry`: each `kind: 'drift'` record is checked against the reference
 * profile of its model version and stored once per (device, seq). A record for an unknown version or one
 * registered without a profile (MODEL_VERSION_UNKNOWN), or whose shape does not match that profile
 * (SKETCH_INVALID), is refused on its own — logged and counted by code — while the rest of the batch is
 * stored. Newly stored windows are then marked pending for their cohorts and judged once their window has closed (drift/fleet-drift.ts).
 */
import { type DriftWindow, errorCodeOf } from '@edgefleet/protocol';
import type { IngestContext } from '../ingest-context.js';

export async function storeDriftWindows(
  context: IngestContext,
  deviceId: string,
  records: readonly DriftWindow[],
): Promise<void> {
  if (records.length === 0) return;
  const stored: DriftWindow[] = [];
  for (const record of records) {
    try {
      if (await context.drift.ingestWindow(deviceId, record)) stored.push(record);
    } catch (error) {
      const code = errorCodeOf(error);
      context.metrics.countRejection(code);
      const { line, version, seq } = record;
      context.logger.warn({ deviceId, line, version, seq, code, err: error }, 'drift window refused');
    }
  }
  if (stored.length > 0) await context.drift.onWindowsStored(await context.devices.membership(deviceId), stored);
}
