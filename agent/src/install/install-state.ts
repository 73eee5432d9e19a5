/**
 * The install state machine (DESIGN.md §4 Install). One install walks idle → fetching → verifying →
 * installing → self-testing → active; any working phase may fail, and a failure with a previous model to
 * stay on ends `reverted`. Terminal phases return to idle for the next job. Promoting a shadow challenger
 * starts at `installing`: its slot was fetched and verified when it became the shadow.
 */
import { AgentError } from '../errors.js';

export type InstallPhase =
  | 'idle'
  | 'fetching'
  | 'verifying'
  | 'installing'
  | 'self-testing'
  | 'active'
  | 'failed'
  | 'reverted';

const ALLOWED: Readonly<Record<InstallPhase, readonly InstallPhase[]>> = Object.freeze({
  idle: ['fetching', 'installing', 'failed'],
  fetching: ['verifying', 'failed'],
  verifying: ['installing', 'failed'],
  installing: ['self-testing', 'failed'],
  'self-testing': ['active', 'failed'],
  active: ['idle'],
  failed: ['reverted', 'idle'],
  reverted: ['idle'],
});

export function transitionInstall(from: InstallPhase, to: InstallPhase): InstallPhase {
  if (!ALLOWED[from].includes(to)) {
    throw new AgentError('INVALID_TRANSITION', `install cannot go from ${from} to ${to}`, { details: { from, to } });
  }
  return to;
}

/** Phases the reported message shows as work in progress (protocol installPhaseSchema). */
export function isWorkingPhase(phase: InstallPhase): phase is 'fetching' | 'verifying' | 'installing' | 'self-testing' {
  return phase === 'fetching' || phase === 'verifying' || phase === 'installing' || phase === 'self-testing';
}
