/**
 * The serial link's state (DESIGN.md §6): `unsynced` until the first handshake frame (hello / welcome) tells
 * the receiver the peer's sequence numbers, `up` while frames are acknowledged, `down` when a frame went
 * unacknowledged through every retry (the peer is gone or rebooting; the next handshake brings it back up),
 * `closed` for good. A handshake while `up` is a resync (the peer restarted).
 */
import { BridgeError } from '../errors.js';

export type LinkState = 'unsynced' | 'up' | 'down' | 'closed';

const ALLOWED: Readonly<Record<LinkState, readonly LinkState[]>> = Object.freeze({
  unsynced: ['up', 'closed'],
  up: ['up', 'down', 'closed'],
  down: ['up', 'closed'],
  closed: [],
});

export function transitionLink(from: LinkState, to: LinkState): LinkState {
  if (!ALLOWED[from].includes(to)) {
    throw new BridgeError('INVALID_TRANSITION', `serial link cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
  return to;
}
