/**
 * The connection state machine (DESIGN.md §4). `backing-off` is distinct from `offline`: offline means the
 * agent chose not to be connected (not started, or closing); backing-off means it waits to retry.
 */
import { AgentError } from '../errors.js';

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'backing-off';

const ALLOWED: Readonly<Record<ConnectionState, readonly ConnectionState[]>> = Object.freeze({
  offline: ['connecting'],
  connecting: ['online', 'backing-off', 'offline'],
  online: ['backing-off', 'offline'],
  'backing-off': ['connecting', 'offline'],
});

/** Returns `to` when the move is legal; throws INVALID_TRANSITION otherwise. */
export function transition(from: ConnectionState, to: ConnectionState): ConnectionState {
  if (!ALLOWED[from].includes(to)) {
    throw new AgentError('INVALID_TRANSITION', `connection cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
  return to;
}
