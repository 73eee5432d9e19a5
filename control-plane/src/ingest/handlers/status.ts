/**
 * `status` (device → cp): the agent's heartbeat (`online`) and its last will or goodbye (`offline`).
 * Presence (devices/presence.ts) turns them into the device's connection state.
 */
import { statusMessageSchema } from '@edgefleet/protocol';
import { defineHandler } from '../ingest-context.js';

export const statusHandler = defineHandler({
  kind: 'status',
  schema: statusMessageSchema,
  async handle(context, deviceId, message) {
    if (message.state === 'offline') {
      // The embedded broker reports disconnects itself, and in order; a late will must not undo a reconnect.
      if (context.broker.kind === 'external') context.presence.gone(deviceId);
      return;
    }
    context.presence.seen(deviceId);
    await context.devices.touch(deviceId);
  },
});
