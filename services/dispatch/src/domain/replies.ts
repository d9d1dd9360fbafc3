/** What a locksmith's YES does, decided from their pending offer (if any) and their latest closed one. */
export type YesDecision =
  | { kind: 'accept' }
  | {
      kind: 'reject';
      reason: 'no_pending_offer' | 'wrong_job_code' | 'job_taken' | 'offer_expired' | 'on_another_job';
      jobCode: string | null;
    };

export interface PendingOfferView {
  jobCode: string;
}

/** Why an offer closed, as far as a late YES to it is concerned. */
export type OfferEnd = 'taken' | 'expired' | 'assigned_elsewhere' | 'other';

export interface LatestOfferView {
  jobCode: string;
  end: OfferEnd;
}

/** Offer-closing reasons, shared by the writer and the reader of `offer.reason`. */
export const CLOSE_REASON = {
  jobTaken: 'job taken',
  accepted: 'accepted',
  declined: 'declined by SMS',
  expired: 'no reply in time',
  jobStopped: 'job canceled',
  undeliverable: 'SMS could not be delivered',
  jobEnded: 'job ended',
  assignedElsewhere: 'locksmith assigned to another job',
} as const;

export function offerEnd(status: string, reason: string | null): OfferEnd {
  if (status === 'EXPIRED') return 'expired';
  if (status !== 'CANCELED') return 'other';
  if (reason === CLOSE_REASON.jobTaken) return 'taken';
  if (reason === CLOSE_REASON.assignedElsewhere) return 'assigned_elsewhere';
  return 'other';
}

/**
 * `onAnotherJob`: the locksmith is already on an open job. Read with the locksmith's lock and the
 * offer's job row held, so an offer seen pending here is still pending when the YES takes the job.
 */
export function decideYes(
  sentCode: string | undefined,
  pending: PendingOfferView | undefined,
  latest: LatestOfferView | undefined,
  onAnotherJob: boolean,
): YesDecision {
  if (pending) {
    if (sentCode !== undefined && sentCode !== pending.jobCode) {
      return { kind: 'reject', reason: 'wrong_job_code', jobCode: pending.jobCode };
    }
    if (onAnotherJob) return { kind: 'reject', reason: 'on_another_job', jobCode: pending.jobCode };
    return { kind: 'accept' };
  }
  // A YES that came too late finds its offer already closed: tell them why rather than that they had
  // nothing pending.
  if (latest && (sentCode === undefined || sentCode === latest.jobCode)) {
    if (latest.end === 'taken') return { kind: 'reject', reason: 'job_taken', jobCode: latest.jobCode };
    if (latest.end === 'expired') return { kind: 'reject', reason: 'offer_expired', jobCode: latest.jobCode };
    if (latest.end === 'assigned_elsewhere') {
      return { kind: 'reject', reason: 'on_another_job', jobCode: latest.jobCode };
    }
  }
  return { kind: 'reject', reason: 'no_pending_offer', jobCode: sentCode ?? null };
}
