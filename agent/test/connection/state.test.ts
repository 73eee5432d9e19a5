import { describe, expect, it } from 'vitest';
import { type ConnectionState, transition } from '../../src/connection/state.js';
import { AgentError } from '../../src/errors.js';

describe('connection state machine', () => {
  it('walks offline → connecting → online → backing-off → connecting → offline', () => {
    let state: ConnectionState = 'offline';
    for (const next of ['connecting', 'online', 'backing-off', 'connecting', 'offline'] as const) {
      state = transition(state, next);
    }
    expect(state).toBe('offline');
  });

  it.each([
    ['offline', 'online'],
    ['offline', 'backing-off'],
    ['online', 'connecting'],
    ['backing-off', 'online'],
    ['online', 'online'],
  ] as const)('rejects %s → %s with INVALID_TRANSITION', (from, to) => {
    expect(() => transition(from, to)).toThrow(AgentError);
    try {
      transition(from, to);
    } catch (error) {
      expect((error as AgentError).code).toBe('INVALID_TRANSITION');
    }
  });
});
