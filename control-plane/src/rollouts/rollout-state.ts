/**
 * The rollout state machine (DESIGN.md §5, STYLE.md §7): an explicit union and one transition function that
 * rejects illegal moves with INVALID_TRANSITION. A rollout runs pending → wave-installing → wave-observing
 * → (awaiting-approval →) the next wave's wave-installing … → completed (or failed: every wave passed its
 * gates but some targeted devices failed to install — the legacy single-wave outcome). `paused` returns
 * to the phase it paused in; rolling-back → rolled-back; aborted stops where it is. Finished rollouts can
 * still be rolled back by hand (a bad model found after completion).
 */
import { ControlPlaneError } from '../errors.js';

export const ROLLOUT_STATES = [
  'pending',
  'wave-installing',
  'wave-observing',
  'awaiting-approval',
  'paused',
  'completed',
  'failed',
  'rolling-back',
  'rolled-back',
  'aborted',
] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** Phases a paused rollout may return to. */
export type ResumablePhase = 'pending' | 'wave-installing' | 'wave-observing' | 'awaiting-approval';

const ALLOWED: Readonly<Record<RolloutState, readonly RolloutState[]>> = {
  pending: ['wave-installing', 'paused', 'aborted', 'rolling-back'],
  'wave-installing': ['wave-observing', 'paused', 'aborted', 'rolling-back'],
  'wave-observing': [
    'wave-installing',
    'awaiting-approval',
    'completed',
    'failed',
    'paused',
    'aborted',
    'rolling-back',
  ],
  'awaiting-approval': ['wave-installing', 'paused', 'aborted', 'rolling-back'],
  paused: ['pending', 'wave-installing', 'wave-observing', 'awaiting-approval', 'aborted', 'rolling-back'],
  completed: ['rolling-back'],
  failed: ['rolling-back'],
  'rolling-back': ['rolled-back'],
  'rolled-back': [],
  aborted: [],
};

/** Returns `to` when the move is legal; throws INVALID_TRANSITION otherwise. */
export function transitionRollout(from: RolloutState, to: RolloutState): RolloutState {
  if (!ALLOWED[from].includes(to)) {
    throw new ControlPlaneError('INVALID_TRANSITION', `a rollout cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
  return to;
}

export function isRolloutState(value: string): value is RolloutState {
  return (ROLLOUT_STATES as readonly string[]).includes(value);
}

export function isResumable(value: string | null): value is ResumablePhase {
  return (
    value === 'pending' || value === 'wave-installing' || value === 'wave-observing' || value === 'awaiting-approval'
  );
}

/** Rollouts in these states hold their devices: one active rollout per line per device. */
export function isActive(state: RolloutState): boolean {
  return !['completed', 'failed', 'rolled-back', 'aborted'].includes(state);
}

/** Waves: pending → installing → observing → passed | failed; a shadow wave that passes is promoted. */
export type WaveState = 'pending' | 'installing' | 'observing' | 'passed' | 'promoted' | 'failed' | 'stopped';
