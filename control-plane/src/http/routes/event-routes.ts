/**
 * `GET /v1/events` (viewer): the fleet event stream as Server-Sent Events (WHATWG HTML §9.2) — rollout
 * transitions, gate decisions, wave changes and drift alerts, one `data:` JSON object per event with the
 * event type as the SSE `event:` name, so a CLI or dashboard can follow a rollout live. The listener is
 * removed when the client goes away.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { FleetEvent } from '../../events/event-bus.js';
import type { HttpEnv, HttpServices } from '../http-env.js';
import { createRoleGuard } from '../middleware.js';

export function createEventRoutes(services: HttpServices) {
  const requireRole = createRoleGuard(services);
  return new Hono<HttpEnv>().get('/v1/events', requireRole('viewer'), (c) =>
    streamSSE(c, async (stream) => {
      const pending: FleetEvent[] = [];
      let wake: (() => void) | null = null;
      const listener = (event: FleetEvent) => {
        pending.push(event);
        wake?.();
      };
      services.events.on('event', listener);
      stream.onAbort(() => {
        services.events.off('event', listener);
        wake?.();
      });
      await stream.writeSSE({ event: 'ready', data: '{}' });
      while (!stream.aborted && !stream.closed) {
        const event = pending.shift();
        if (event === undefined) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
          continue;
        }
        await stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
      }
      services.events.off('event', listener);
    }),
  );
}
