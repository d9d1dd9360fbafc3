import type { JobState, RequestStatus } from '../api/booking-api';

export type Tone = 'progress' | 'good' | 'bad';

/** What the status page says for a booking: a headline, one sentence, and where it is on the way. */
export interface StatusView {
  readonly title: string;
  readonly detail: string;
  readonly icon: string;
  readonly tone: Tone;
  /** Index into MILESTONES; -1 when the job ended without a visit (canceled, failed). */
  readonly milestone: number;
}

export const MILESTONES = [
  'Request received',
  'Finding a locksmith',
  'Locksmith assigned',
  'On the way',
  'Done',
];

const HOLD_RELEASED = 'The deposit hold on your card is released — you are not charged.';

function eta(minutes: number | undefined): string {
  if (minutes === undefined) return 'They will call or text you with an arrival time.';
  if (minutes <= 1) return 'Expected to arrive in about a minute.';
  return `Expected to arrive in about ${Math.round(minutes)} minutes.`;
}

export function describeStatus(status: RequestStatus): StatusView {
  const job = status.job;
  const state: JobState | undefined = job ? job.state : 'CREATED';
  const name = job?.locksmith?.name ?? 'Your locksmith';
  switch (state) {
    case 'CREATED':
      return {
        title: 'Request received',
        detail: "We've got your booking and are about to contact locksmiths near you.",
        icon: 'task_alt',
        tone: 'progress',
        milestone: 0,
      };
    case 'DISPATCHING':
    case 'OFFERED':
      return {
        title: 'Contacting nearby locksmiths',
        detail: 'We are asking locksmiths close to you to take the job. This usually takes a few minutes.',
        icon: 'travel_explore',
        tone: 'progress',
        milestone: 1,
      };
    case 'ASSIGNED':
      return {
        title: `${name} is taking your job`,
        detail: eta(job?.locksmith?.etaMinutes),
        icon: 'person_check',
        tone: 'progress',
        milestone: 2,
      };
    case 'EN_ROUTE':
      return {
        title: `${name} is on the way`,
        detail: eta(job?.locksmith?.etaMinutes),
        icon: 'directions_car',
        tone: 'progress',
        milestone: 3,
      };
    case 'COMPLETED':
      return {
        title: 'Job done',
        detail: 'Thanks for booking with us. Your deposit counts toward the final price.',
        icon: 'check_circle',
        tone: 'good',
        milestone: 4,
      };
    case 'CANCELED':
      return { title: 'Booking canceled', detail: HOLD_RELEASED, icon: 'cancel', tone: 'bad', milestone: -1 };
    case 'FAILED':
      return {
        title: "We couldn't find a locksmith",
        detail: `Sorry, no locksmith was available for your job. ${HOLD_RELEASED}`,
        icon: 'error',
        tone: 'bad',
        milestone: -1,
      };
    case undefined:
      return {
        title: 'Your booking is in progress',
        detail: 'We will update this page as soon as there is news.',
        icon: 'pending',
        tone: 'progress',
        milestone: 1,
      };
  }
}
