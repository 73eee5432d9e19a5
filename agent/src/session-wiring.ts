/**
 * The agent's side of the MQTT session (DESIGN.md §3, brief "MQTT"): what a connection change sets off
 * (telemetry publishing starts or stops, a `reported` goes out on every connect, a paused fetch wakes up,
 * the agent emits `state`), where each incoming message goes (`desired` to the desired handler, `fetch/res`
 * decoded with the protocol schema to the fetchers, `fl/task` to the federated client; an undecodable one is a counted rejection, never a
 * crash), and the fetcher's link to the wire (`fetch/req` publishes). Kept apart from agent.ts, the
 * composition root, so the routing reads on one page.
 */
import type { EventEmitter } from 'node:events';
import {
  type Clock,
  decodeCbor,
  type EdgefleetError,
  encodeCbor,
  type FetchRequest,
  fetchResponseSchema,
  flTaskMessageSchema,
} from '@edgefleet/protocol';
import type { AgentEvents } from './agent-types.js';
import type { Uplink } from './connection/uplink.js';
import type { DesiredHandler } from './desired/desired-handler.js';
import type { Fetcher, FetchLink } from './fetch/fetcher.js';
import type { FlClient } from './fl/fl-client.js';
import type { Outcomes } from './outcomes.js';
import type { Reporter } from './reporting/reporter.js';
import type { OutboxPublisher } from './telemetry/publisher.js';

export interface SessionRoutes {
  readonly publisher: Pick<OutboxPublisher, 'start' | 'stop'>;
  readonly reporter: Pick<Reporter, 'publishNow'>;
  /** The bundle fetcher and the federated weights fetcher; each ignores digests it is not fetching. */
  readonly fetchers: readonly Pick<Fetcher, 'connectionChanged' | 'handle'>[];
  readonly fl: Pick<FlClient, 'handle'>;
  readonly desired: DesiredHandler;
  readonly outcomes: Pick<Outcomes, 'reject'>;
  readonly events: EventEmitter<AgentEvents>;
}

/** Subscribes to the session's `state` and `message` events and routes them to the agent's components. */
export function routeSession(session: Uplink, routes: SessionRoutes): void {
  const { publisher, reporter, fetchers, fl, desired, outcomes, events } = routes;
  session.on('state', (state) => {
    if (state === 'online') {
      publisher.start();
      reporter.publishNow();
    } else {
      publisher.stop();
    }
    for (const fetcher of fetchers) fetcher.connectionChanged();
    events.emit('state', state);
  });
  session.on('message', ({ kind, payload }) => {
    if (kind === 'desired') {
      void desired.handle(payload);
      return;
    }
    try {
      if (kind === 'fl/task') {
        fl.handle(decodeCbor(payload, flTaskMessageSchema));
        return;
      }
      const response = decodeCbor(payload, fetchResponseSchema);
      for (const fetcher of fetchers) fetcher.handle(response);
    } catch (error) {
      outcomes.reject(error as EdgefleetError, { topic: kind });
    }
  });
}

/** The fetcher's view of the session: online or not, and `fetch/req` publishes stamped on the Clock. */
export function sessionFetchLink(session: Uplink, clock: Clock): FetchLink {
  return {
    isOnline: () => session.state === 'online',
    request: (request: Omit<FetchRequest, 'v' | 'type' | 'ts'>) =>
      session.publish('fetch/req', encodeCbor({ v: 1, type: 'fetch-req', ts: clock.now(), ...request })),
  };
}
