/**
 * `fl/update` (device → cp): accepts, declines, update parts, update completions and revealed seeds of
 * federated rounds, routed to the coordinator. The device id is the topic's (ACL-bound), so a device can
 * only speak for itself; whatever the round refuses (not selected, round closed, bad update) throws with
 * its code and the dispatcher logs and counts it.
 */
import { flUpdateMessageSchema } from '@edgefleet/protocol';
import { defineHandler } from '../ingest-context.js';

export const flUpdateHandler = defineHandler({
  kind: 'fl/update',
  schema: flUpdateMessageSchema,
  async handle(context, deviceId, message) {
    // Awaited: the device's PUBACK waits until its accept or update is stored (ADR 0006).
    await context.fl.handleUpdate(deviceId, message);
  },
});
