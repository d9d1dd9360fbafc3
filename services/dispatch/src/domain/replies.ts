/** What a locksmith's YES does, decided from their pending offer (if any) and their latest closed one. */
export type YesDecision =
  | { kind: 'accept' }
  | { kind: 'reject'; reason: 'no_pending_offer' | 'wrong_job_code' | 'job_taken'; jobCode: string | null };

export interface PendingOfferView {
  jobCode: string;
}

export interface LatestOfferView {
  jobCode: string;
  /** The offer was closed because another locksmith (or an operator) took the job. */
  takenByAnother: boolean;
}

export function decideYes(
  sentCode: string | undefined,
  pending: PendingOfferView | undefined,
  latest: LatestOfferView | undefined,
): YesDecision {
  if (pending) {
    if (sentCode !== undefined && sentCode !== pending.jobCode) {
      return { kind: 'reject', reason: 'wrong_job_code', jobCode: pending.jobCode };
    }
    return { kind: 'accept' };
  }
  // A YES that lost the race arrives after the winner closed every other offer: tell them the job is
  // taken rather than that they had nothing pending.
  if (latest?.takenByAnother && (sentCode === undefined || sentCode === latest.jobCode)) {
    return { kind: 'reject', reason: 'job_taken', jobCode: latest.jobCode };
  }
  return { kind: 'reject', reason: 'no_pending_offer', jobCode: sentCode ?? null };
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
