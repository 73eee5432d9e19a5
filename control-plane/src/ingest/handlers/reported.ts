/**
 * `reported` (device → cp, retained): the device's own account of what it runs. The latest one is stored as
 * decoded JSON for the API, the device is marked seen, and rollout statuses advance from its install
 * progress and installed list. A child device's first report carries its hardware: late enrolment runs then,
 * so a rollout selecting its hardware profile finds it (devices/child-devices.ts).
 */
import { reportedMessageSchema } from '@edgefleet/protocol';
import { defineHandler } from '../ingest-context.js';

export const reportedHandler = defineHandler({
  kind: 'reported',
  schema: reportedMessageSchema,
  async handle(context, deviceId, message) {
    await context.devices.storeReported(deviceId, { ...message });
    await context.devices.touch(deviceId);
    if (await context.children.firstReport(deviceId, { ...message.hardware }))
      await context.rollouts.onDeviceEnrolled(deviceId);
    await context.rollouts.onReported(deviceId, message);
  },
});
