/**
 * Routes device → cp MQTT messages to their handlers. For every message: count it by kind, take the device
 * id from the topic (the broker ACL already bound it to the publishing client), decode the CBOR against the
 * handler's schema (size and depth limits included), refuse unknown devices (a gateway's new child is
 * registered here, devices/child-devices.ts, only once its first message has decoded), then run the handler.
 * Anything refused is logged and counted by code, and the message dropped — one bad payload never stops
 * ingest. Messages of one device are processed in arrival order; devices proceed in parallel.
 */

import { bridgePattern, decodeCbor, errorCodeOf, fleetPattern, parseTopic } from '@edgefleet/protocol';
import type { Admission } from '../devices/child-devices.js';
import { eventsHandler } from './handlers/events.js';
import { fetchRequestHandler } from './handlers/fetch-request.js';
import { flUpdateHandler } from './handlers/fl-update.js';
import { reportedHandler } from './handlers/reported.js';
import { statusHandler } from './handlers/status.js';
import { telemetryHandler } from './handlers/telemetry.js';
import type { IngestContext, IngestHandler } from './ingest-context.js';
import { createTelemetryWriter } from './telemetry-writer.js';

const HANDLERS: readonly IngestHandler[] = [
  reportedHandler,
  fetchRequestHandler,
  eventsHandler,
  telemetryHandler,
  flUpdateHandler,
  statusHandler,
];

export interface IngestDispatcher {
  /** Resolves when every message received so far has been processed (tests, shutdown). */
  drain(): Promise<void>;
}

export async function startIngest(
  options: Omit<IngestContext, 'telemetry'> & { telemetryBatch?: { maxRows?: number } },
): Promise<IngestDispatcher> {
  const { telemetryBatch, ...rest } = options;
  const { metrics, logger } = rest;
  const telemetry = createTelemetryWriter({ database: rest.database, logger, metrics, ...telemetryBatch });
  const context: IngestContext = { ...rest, telemetry };
  const queues = new Map<string, Promise<void>>();

  const reject = (code: string, fields: Record<string, unknown>, error?: unknown) => {
    metrics.countRejection(code);
    logger.warn({ ...fields, code, err: error }, 'device message dropped');
  };

  const ingestOne = async (handler: IngestHandler, deviceId: string, payload: Uint8Array) => {
    // Decoded first: a payload that does not decode never registers a gateway's new child.
    let message: unknown;
    try {
      message = decodeCbor(payload, handler.schema);
    } catch (error) {
      return reject(errorCodeOf(error), { deviceId, kind: handler.kind }, error);
    }
    let admission: Admission;
    try {
      admission = await context.children.admit(deviceId);
    } catch (error) {
      return reject(errorCodeOf(error), { deviceId, kind: handler.kind }, error);
    }
    if (!admission.ok) return reject(admission.code, { deviceId, kind: handler.kind, reason: admission.reason });
    try {
      await handler.handle(context, deviceId, message);
    } catch (error) {
      const code = errorCodeOf(error);
      reject(code, { deviceId, kind: handler.kind }, error);
      // Not stored for a reason of ours (the database): no acknowledgement, so the device sends it again.
      if (code === 'INTERNAL') throw error;
    }
  };

  /** Resolves when the message is stored or refused for good; rejects when it could not be stored. */
  const route =
    (handler: IngestHandler) =>
    (topic: string, payload: Uint8Array): Promise<void> => {
      metrics.countMessage(handler.kind);
      const parsed = parseTopic(topic);
      if (parsed === null || parsed.kind !== handler.kind) {
        reject('TOPIC_UNKNOWN', { topic });
        return Promise.resolve();
      }
      const previous = queues.get(parsed.deviceId) ?? Promise.resolve();
      // The queue keeps one device's messages in order; a failed one does not hold up the next.
      const next = previous.catch(() => undefined).then(() => ingestOne(handler, parsed.deviceId, payload));
      queues.set(parsed.deviceId, next);
      const forget = () => {
        if (queues.get(parsed.deviceId) === next) queues.delete(parsed.deviceId);
      };
      next.then(forget, forget);
      return next;
    };
  for (const handler of HANDLERS) {
    await context.broker.consume(fleetPattern(handler.kind), route(handler));
    await context.broker.consume(bridgePattern(handler.kind), route(handler));
  }

  return {
    async drain() {
      while (queues.size > 0) await Promise.allSettled(queues.values());
      await telemetry.flush();
    },
  };
}
