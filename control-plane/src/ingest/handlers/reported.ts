/**
 * `reported` (device → cp, retained): the device's own account of what it runs. The latest one is stored as
 * decoded JSON for the API, the device is marked seen, and rollout statuses advance from its install
 * progress and installed list.
 */
import { reportedMessageSchema } from '@edgefleet/protocol';
import { defineHandler } from '../ingest-context.js';

export const reportedHandler = defineHandler({
  kind: 'reported',
  schema: reportedMessageSchema,
  async handle(context, deviceId, message) {
    context.devices.storeReported(deviceId, { ...message });
    context.devices.touch(deviceId);
    await context.rollouts.onReported(deviceId, message);
  },
});
