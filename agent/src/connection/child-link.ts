/**
 * A child device's uplink over its gateway's MQTT session (DESIGN.md §6): the child publishes and receives
 * in the gateway's bridge sub-tree `ef/v1/{gateway}/bridge/{child}/…`, with the gateway's credentials, and
 * has no connection of its own. Its ConnectionState follows the gateway's: it is `online` once the gateway
 * is online and the child's topics are subscribed (so its retained `desired` is never missed), `backing-off`
 * while the gateway is not, and `offline` once closed — the same union and transition rules as a device's
 * own session, so the agent code above it cannot tell the difference.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Session } from './session.js';
import { type ConnectionState, transition } from './state.js';
import type { Uplink, UplinkEvents } from './uplink.js';

export function createChildLink(options: { parent: Session; deviceId: string; logger: Logger }): Uplink {
  const { parent, deviceId, logger } = options;
  const emitter = new EventEmitter<UplinkEvents>();
  let state: ConnectionState = 'offline';

  function move(next: ConnectionState): void {
    if (state === next) return;
    state = transition(state, next);
    emitter.emit('state', state);
  }

  /** Follows the gateway: online with it (after our topics are subscribed), backing off without it. */
  function follow(): void {
    if (state === 'offline') return;
    if (parent.state !== 'online') {
      if (state === 'connecting' || state === 'online') move('backing-off');
      return;
    }
    if (state === 'backing-off') move('connecting');
    // On a reconnect the gateway subscribed our topics before it went online; the first time, addChild does.
    parent.addChild(deviceId).then(
      () => {
        if (state === 'connecting' && parent.state === 'online') move('online');
      },
      (error: unknown) => {
        logger.error({ err: error, deviceId }, 'child topics refused; the child stays offline');
        if (state === 'connecting') move('backing-off');
      },
    );
  }

  const onParentState = () => follow();
  let stopListening: (() => void) | null = null;

  Object.defineProperties(emitter, {
    state: { get: () => state, enumerable: true },
    authFailures: { get: () => 0, enumerable: true },
  });
  const link = Object.assign(emitter, {
    start() {
      if (state !== 'offline') return;
      parent.on('state', onParentState);
      stopListening = parent.onChildMessage((message) => {
        if (message.deviceId === deviceId) emitter.emit('message', { kind: message.kind, payload: message.payload });
      });
      move('connecting');
      follow();
    },
    publish(kind: Parameters<Uplink['publish']>[0], payload: Uint8Array, publishOptions?: { retain?: boolean }) {
      return parent.publishAs(deviceId, kind, payload, publishOptions);
    },
    async close() {
      parent.off('state', onParentState);
      stopListening?.();
      stopListening = null;
      await parent.removeChild(deviceId);
      if (state !== 'offline') move('offline');
    },
  });
  return link as Uplink;
}
