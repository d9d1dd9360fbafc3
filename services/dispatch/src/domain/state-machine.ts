import type { dispatch } from '@trades/contracts';

type JobState = dispatch.JobState;

/** States a job can still leave. */
export const OPEN_STATES: readonly JobState[] = ['CREATED', 'DISPATCHING', 'OFFERED', 'ASSIGNED', 'EN_ROUTE'];

/** States in which nobody has the job yet: offers may be out, an operator may assign it. */
export const UNASSIGNED_STATES: readonly JobState[] = ['CREATED', 'DISPATCHING', 'OFFERED'];

/**
 * Every legal move of the job state machine:
 * CREATED → DISPATCHING ⇄ OFFERED → ASSIGNED → EN_ROUTE → COMPLETED, CANCELED / FAILED from any open
 * state, and ASSIGNED / EN_ROUTE → DISPATCHING when the locksmith drops out (re-dispatch).
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  CREATED: ['DISPATCHING', 'CANCELED', 'FAILED'],
  DISPATCHING: ['OFFERED', 'CANCELED', 'FAILED'],
  OFFERED: ['DISPATCHING', 'ASSIGNED', 'CANCELED', 'FAILED'],
  ASSIGNED: ['EN_ROUTE', 'DISPATCHING', 'CANCELED', 'FAILED'],
  EN_ROUTE: ['COMPLETED', 'DISPATCHING', 'CANCELED', 'FAILED'],
  COMPLETED: [],
  CANCELED: [],
  FAILED: [],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isOpen(state: JobState): boolean {
  return OPEN_STATES.includes(state);
}

/** Why a move is illegal, as a sentence an operator can act on; undefined when it is legal. */
export function transitionProblem(from: JobState, to: JobState): string | undefined {
  if (canTransition(from, to)) return undefined;
  if (!isOpen(from)) return `The job is already ${from} and cannot change any more.`;
  if (from === to) return `The job is already ${from}.`;
  const allowed = TRANSITIONS[from].join(', ');
  return `A job that is ${from} cannot become ${to}; from ${from} it can only become ${allowed}.`;
}
