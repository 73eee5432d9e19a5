/**
 * The in-process event bus behind `GET /v1/events` (SSE) and `cp.rollouts.on('event')`: rollout
 * transitions, gate decisions, wave changes and fleet drift alerts, in the order they happen. A listener
 * that throws is logged and counted, never allowed to stop the orchestrator that emitted.
 */
import type { Logger } from 'pino';

export type FleetEventType =
  | 'rollout.transition'
  | 'rollout.gate'
  | 'rollout.wave'
  | 'drift.alert'
  | 'fl.job'
  | 'fl.round';

export interface FleetEvent {
  readonly type: FleetEventType;
  readonly at: number;
  readonly rolloutId?: string;
  readonly [key: string]: unknown;
}

export type FleetEventListener = (event: FleetEvent) => void;

export interface EventBus {
  emit(event: FleetEvent): void;
  on(event: 'event', listener: FleetEventListener): void;
  off(event: 'event', listener: FleetEventListener): void;
}

export function createEventBus(options: { logger: Logger; onListenerError?: () => void }): EventBus {
  const listeners = new Set<FleetEventListener>();
  return {
    emit(event) {
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          options.onListenerError?.();
          options.logger.error({ err: error, type: event.type, rolloutId: event.rolloutId }, 'event listener failed');
        }
      }
    },
    on: (_event, listener) => void listeners.add(listener),
    off: (_event, listener) => void listeners.delete(listener),
  };
}
