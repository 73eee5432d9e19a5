/**
 * The shadow half of `telemetry`: a challenger's window beside its champion — rows, agreements,
 * challenger errors and both latency summaries — stored once per (device, seq) for the rollout gates
 * (shadowAgreement, and errorRate / p95LatencyRatio of shadow waves, rollouts/gates.ts).
 */
import type { ShadowWindow } from '@edgefleet/protocol';
import type { IngestContext } from '../ingest-context.js';

export async function storeShadowWindow(context: IngestContext, deviceId: string, w: ShadowWindow): Promise<void> {
  const { shadowWindows } = context.database.tables;
  await context.database.db
    .insert(shadowWindows)
    .values({
      deviceId,
      seq: w.seq,
      line: w.line,
      championVersion: w.championVersion,
      challengerVersion: w.challengerVersion,
      windowStartMs: w.windowStartMs,
      windowEndMs: w.windowEndMs,
      rows: w.rows,
      agreements: w.agreements,
      challengerErrors: w.challengerErrors,
      latencyMs: { champion: { ...w.latencyMs.champion }, challenger: { ...w.latencyMs.challenger } },
      receivedAt: context.now(),
    })
    .onConflictDoNothing();
}
