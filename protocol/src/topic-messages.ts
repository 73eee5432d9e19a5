/**
 * What travels on each topic kind: the message schema, which side publishes, and whether the message is
 * retained. One table, so the generated MQTT reference (docs/reference/mqtt.md) and the code cannot drift
 * apart: every kind in `DEVICE_TO_CP` and `CP_TO_DEVICE` must have an entry (the type says so).
 */
import type { z } from 'zod';
import { flTaskMessageSchema, flUpdateMessageSchema } from './fl/fl-messages.js';
import {
  desiredMessageSchema,
  eventsMessageSchema,
  fetchRequestSchema,
  fetchResponseSchema,
  reportedMessageSchema,
  statusMessageSchema,
  telemetryMessageSchema,
} from './messages/wire.js';
import type { TopicKind } from './topics.js';

export interface TopicMessage {
  readonly schema: z.ZodType;
  readonly summary: string;
  /** `yes`: the broker keeps the last one for devices that subscribe later. */
  readonly retained: 'yes' | 'no' | 'flag set; Mosquitto keeps it, the embedded broker does not';
}

export const TOPIC_MESSAGES: Readonly<Record<TopicKind, TopicMessage>> = Object.freeze({
  desired: {
    schema: desiredMessageSchema,
    summary:
      'the device’s desired state: a director-signed document naming the signed manifest per model line, with the root documents that follow a key rotation',
    retained: 'yes',
  },
  'fetch/res': {
    schema: fetchResponseSchema,
    summary: 'bundle chunks answering a fetch request, or an error with its code',
    retained: 'no',
  },
  'fl/task': {
    schema: flTaskMessageSchema,
    summary: 'federated learning: a round’s task, the peer set, a seed-reveal request or a cancellation',
    retained: 'no',
  },
  reported: {
    schema: reportedMessageSchema,
    summary: 'what the device runs: agent version, applied desired seq, installed models, install progress, last error',
    retained: 'flag set; Mosquitto keeps it, the embedded broker does not',
  },
  'fetch/req': {
    schema: fetchRequestSchema,
    summary: 'a window of bundle chunks the device asks for, by digest',
    retained: 'no',
  },
  events: {
    schema: eventsMessageSchema,
    summary: 'install, rejection and drift events from the device’s outbox',
    retained: 'no',
  },
  telemetry: {
    schema: telemetryMessageSchema,
    summary: 'inference windows (latency, counts, drift sketches) and shadow windows from the outbox',
    retained: 'no',
  },
  'fl/update': {
    schema: flUpdateMessageSchema,
    summary: 'federated learning: accept or decline, update parts and completion, revealed seeds',
    retained: 'no',
  },
  status: {
    schema: statusMessageSchema,
    summary: 'presence: heartbeats, a goodbye on shutdown, and the last will the broker sends when the link drops',
    retained: 'no',
  },
});
