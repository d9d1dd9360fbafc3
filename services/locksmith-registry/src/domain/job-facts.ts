import { dispatch } from '@trades/contracts';

type JobState = dispatch.JobState;

/**
 * What the registry knows of one job: its state, the locksmith on it (null when nobody is) and the
 * version of that knowledge. Job events reach the registry in any order (an event that failed comes back
 * after the ones behind it; replicas handle events side by side), so a fact replaces the one kept for its
 * job only when it is newer. `at` is the job's own clock: dispatch sets `updated_at` with
 * clock_timestamp() under the job's row lock, so it only grows. `rank` orders two facts of the same
 * millisecond: for an event, its state's place in the lifecycle (`JOB_STATE_RANK`: an operator's
 * assignment takes a job CREATED → DISPATCHING → OFFERED → ASSIGNED in one transaction). Two
 * transactions moving one job within one millisecond (an assignment and its re-dispatch) cannot be told
 * apart so; the reconciliation settles those.
 */
export interface JobFact {
  jobId: string;
  providerId: string | null;
  state: JobState;
  at: Date;
  rank: number;
}

/** The states in which the job's locksmith is on it: busy, out of every search. */
export const BUSY_STATES: readonly JobState[] = ['ASSIGNED', 'EN_ROUTE'];

/**
 * A state read from dispatch by the reconciliation is the job's latest as of that read, so it beats
 * every event of its millisecond. (The reconciliation reads only jobs whose last change is older than
 * its grace period, so no later change can share that millisecond.)
 */
export const READ_FROM_DISPATCH_RANK = 10;

export function factFromEvent(event: dispatch.JobStateChangedData): JobFact {
  return {
    jobId: event.jobId,
    providerId: event.locksmith?.id ?? null,
    state: event.state,
    at: new Date(event.at),
    rank: dispatch.JOB_STATE_RANK[event.state],
  };
}

export function factFromDispatch(job: dispatch.JobEngagement): JobFact {
  return {
    jobId: job.jobId,
    providerId: job.locksmithId,
    state: job.state,
    at: new Date(job.at),
    rank: READ_FROM_DISPATCH_RANK,
  };
}

/** Whether `next` is newer knowledge of the job than `current`. */
export function supersedes(
  next: Pick<JobFact, 'at' | 'rank'>,
  current: Pick<JobFact, 'at' | 'rank'>,
): boolean {
  const difference = next.at.getTime() - current.at.getTime();
  return difference > 0 || (difference === 0 && next.rank > current.rank);
}
