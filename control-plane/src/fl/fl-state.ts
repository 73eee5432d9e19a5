/**
 * The federated state machines (STYLE.md §7): a job created with `trigger: 'drift'` waits for a fleet drift
 * alert on its line; a job runs until its rounds are done (completed), too many
 * rounds failed in a row (failed) or an operator cancels it. A round attempt is offered to the selected
 * devices, then collects updates (training); with secure aggregation and dropouts it asks the survivors to
 * reveal their pairwise seeds (revealing) before aggregating; it ends completed (a new global model) or
 * failed (quorum not met, interrupted by a restart, cancelled). Each client's status within a round moves
 * forward only; an update from a client in any other status is refused with FL_ROUND_CLOSED.
 */
import { ControlPlaneError } from '../errors.js';

export type JobState = 'waiting' | 'running' | 'completed' | 'failed' | 'cancelled';
export type RoundState = 'offering' | 'training' | 'revealing' | 'aggregating' | 'completed' | 'failed';
export type ClientStatus = 'offered' | 'accepted' | 'declined' | 'submitted' | 'dropped' | 'rejected';

const JOB_MOVES: Readonly<Record<JobState, readonly JobState[]>> = {
  waiting: ['running', 'cancelled'],
  running: ['completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

const ROUND_MOVES: Readonly<Record<RoundState, readonly RoundState[]>> = {
  offering: ['training', 'failed'],
  training: ['revealing', 'aggregating', 'failed'],
  revealing: ['aggregating', 'failed'],
  aggregating: ['completed', 'failed'],
  completed: [],
  failed: [],
};

const CLIENT_MOVES: Readonly<Record<ClientStatus, readonly ClientStatus[]>> = {
  offered: ['accepted', 'declined', 'dropped', 'rejected'],
  accepted: ['submitted', 'dropped', 'rejected'],
  declined: [],
  submitted: [],
  dropped: [],
  rejected: [],
};

function move<S extends string>(kind: string, table: Readonly<Record<S, readonly S[]>>, from: S, to: S): S {
  if (!table[from].includes(to)) {
    throw new ControlPlaneError('INVALID_TRANSITION', `a ${kind} cannot go from ${from} to ${to}`, {
      details: { from, to },
    });
  }
  return to;
}

export const transitionJob = (from: JobState, to: JobState): JobState => move('job', JOB_MOVES, from, to);
export const transitionRound = (from: RoundState, to: RoundState): RoundState => move('round', ROUND_MOVES, from, to);
export const transitionClient = (from: ClientStatus, to: ClientStatus): ClientStatus =>
  move('round client', CLIENT_MOVES, from, to);
