/**
 * `events` (device → cp): install outcomes and alarms. Each record is stored once per (device, seq) — the
 * agent redelivers until acked (at-least-once), the unique index turns that into exactly-once storage —
 * and only a first delivery advances rollout status.
 */
import { eventsMessageSchema } from '@edgefleet/protocol';
import { placeholders, prepareOnce } from '../../db/prepared.js';
import { defineHandler } from '../ingest-context.js';

export const eventsHandler = defineHandler({
  kind: 'events',
  schema: eventsMessageSchema,
  async handle(context, deviceId, message) {
    const insert = prepareOnce<{ id: number }[]>(context.database, 'events.insert', (db, { events }) =>
      db
        .insert(events)
        .values(placeholders(['deviceId', 'seq', 'at', 'kind', 'line', 'version', 'error', 'drift', 'receivedAt']))
        .onConflictDoNothing()
        .returning({ id: events.id }),
    );
    for (const record of message.records) {
      const inserted = await insert.execute({
        deviceId,
        seq: record.seq,
        at: record.at,
        kind: record.kind,
        line: record.line ?? null,
        version: record.version ?? null,
        error: record.error ?? null,
        drift: record.drift ?? null,
        receivedAt: context.now(),
      });
      if (inserted.length === 1) await context.rollouts.onEvent(deviceId, record);
    }
    await context.devices.touch(deviceId);
  },
});
