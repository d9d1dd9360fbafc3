import Type, { type Static } from 'typebox';
import { Address, Cursor, E164, Empty, Limit, Page, ServiceCode, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent, type EventContract } from './define.ts';

export const JOB_STATES = [
  'CREATED',
  'DISPATCHING',
  'OFFERED',
  'ASSIGNED',
  'EN_ROUTE',
  'COMPLETED',
  'CANCELED',
  'FAILED',
] as const;
export const JobState = Type.Union([
  Type.Literal('CREATED'),
  Type.Literal('DISPATCHING'),
  Type.Literal('OFFERED'),
  Type.Literal('ASSIGNED'),
  Type.Literal('EN_ROUTE'),
  Type.Literal('COMPLETED'),
  Type.Literal('CANCELED'),
  Type.Literal('FAILED'),
]);
export type JobState = (typeof JOB_STATES)[number];

/**
 * Where each state stands in a job's life, for consumers ordering two events of one job with the same
 * `at` (one transaction can move a job through several states within a millisecond): later in the life
 * wins. The three endings share the last place; a job reaches only one.
 */
export const JOB_STATE_RANK: Record<JobState, number> = {
  CREATED: 0,
  DISPATCHING: 1,
  OFFERED: 2,
  ASSIGNED: 3,
  EN_ROUTE: 4,
  COMPLETED: 5,
  CANCELED: 5,
  FAILED: 5,
};

export const OFFER_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'EXPIRED', 'CANCELED', 'FAILED'] as const;
export const OfferStatus = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('ACCEPTED'),
  Type.Literal('DECLINED'),
  Type.Literal('EXPIRED'),
  Type.Literal('CANCELED'),
  Type.Literal('FAILED'),
]);
export type OfferStatus = (typeof OFFER_STATUSES)[number];

export const Job = Type.Object({
  id: Uuid,
  code: Type.String({ description: 'Short code locksmiths quote by SMS, e.g. 4821' }),
  bookingId: Type.String(),
  state: JobState,
  serviceCode: ServiceCode,
  serviceName: Type.String(),
  locksmithId: Type.Union([Uuid, Type.Null()]),
  locksmithName: Type.Union([Type.String(), Type.Null()]),
  etaMinutes: Type.Union([Type.Integer(), Type.Null()]),
  customerName: Type.String(),
  customerPhone: E164,
  address: Address,
  notes: Type.Union([Type.String(), Type.Null()]),
  wave: Type.Integer({ minimum: 0 }),
  paused: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Job = Static<typeof Job>;

export const TimelineEntry = Type.Object({
  state: JobState,
  at: Timestamp,
  cause: Type.String(),
  actor: Type.String(),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const Offer = Type.Object({
  id: Uuid,
  locksmithId: Uuid,
  locksmithName: Type.String(),
  wave: Type.Integer({ minimum: 1 }),
  status: OfferStatus,
  distanceKm: Type.Number(),
  sentAt: Timestamp,
  expiresAt: Timestamp,
  respondedAt: Type.Union([Timestamp, Type.Null()]),
  responseSeconds: Type.Union([Type.Number(), Type.Null()]),
});
export type Offer = Static<typeof Offer>;

export const JobDetail = Type.Intersect([
  Job,
  Type.Object({ timeline: Type.Array(TimelineEntry), offers: Type.Array(Offer) }),
]);
export type JobDetail = Static<typeof JobDetail>;

export const Actor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'operator email, system or provider id',
});

export const JobGet = defineEndpoint(
  'svc.dispatch.job.get',
  'A job with its timeline and every offer by wave.',
  Type.Object({ id: Uuid }),
  JobDetail,
);

export const JobByBooking = defineEndpoint(
  'svc.dispatch.job.by_booking',
  'The job created for a booking, if any.',
  Type.Object({ bookingId: Type.String({ maxLength: 64 }) }),
  Type.Object({ job: Type.Union([Job, Type.Null()]) }),
);

export const JobList = defineEndpoint(
  'svc.dispatch.job.list',
  'Jobs filtered by state, date range and text, keyset-paginated.',
  Type.Object({
    state: Type.Optional(Type.Array(JobState, { maxItems: 8 })),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    q: Type.Optional(Type.String({ maxLength: 120 })),
    sort: Type.Optional(Type.Union([Type.Literal('createdAt:desc'), Type.Literal('createdAt:asc')])),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(Job),
);
export type JobListRequest = Static<typeof JobList.request>;
export type JobPage = Static<typeof JobList.reply>;

export const JobAssign = defineEndpoint(
  'svc.dispatch.job.assign',
  'Manually assign a job to a named locksmith (same exactly-once rule as a YES).',
  Type.Object({ id: Uuid, locksmithId: Uuid, actor: Actor }),
  JobDetail,
);

export const DispatchAction = Type.Union([
  Type.Literal('start'),
  Type.Literal('pause'),
  Type.Literal('resume'),
  Type.Literal('cancel'),
  Type.Literal('redispatch'),
]);
export type DispatchAction = Static<typeof DispatchAction>;

export const JobControl = defineEndpoint(
  'svc.dispatch.job.control',
  'Dispatch control: start, pause, resume, cancel or re-dispatch a job.',
  Type.Object({
    id: Uuid,
    action: DispatchAction,
    actor: Actor,
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  }),
  JobDetail,
);

export const DispatchDashboard = defineEndpoint(
  'svc.dispatch.dashboard.get',
  'Job counts for the operations dashboard.',
  Empty,
  Type.Object({
    openJobs: Type.Integer(),
    jobsByState: Type.Record(Type.String(), Type.Integer()),
    failedJobsToday: Type.Integer(),
  }),
);

export const JobStateChangedData = Type.Object({
  jobId: Uuid,
  jobCode: Type.String(),
  bookingId: Type.String(),
  state: JobState,
  previousState: Type.Union([JobState, Type.Null()]),
  cause: Type.String(),
  actor: Type.String(),
  at: Timestamp,
  serviceCode: ServiceCode,
  serviceName: Type.String(),
  customer: Type.Object({ name: Type.String(), phone: E164 }),
  address: Address,
  notes: Type.Union([Type.String(), Type.Null()]),
  locksmith: Type.Union([
    Type.Object({
      id: Uuid,
      name: Type.String(),
      phone: E164,
      etaMinutes: Type.Union([Type.Integer(), Type.Null()]),
    }),
    Type.Null(),
  ]),
});
export type JobStateChangedData = Static<typeof JobStateChangedData>;

const jobEvent = (fact: string, description: string) =>
  defineEvent(`evt.dispatch.job.${fact}.v1`, description, JobStateChangedData);

export const JobCreated = jobEvent('created', 'A job was created from a paid booking.');
export const JobDispatching = jobEvent('dispatching', 'Dispatch is choosing the next wave.');
export const JobOffered = jobEvent('offered', "A wave's offers are out.");
export const JobAssigned = jobEvent('assigned', 'A locksmith got the job (first YES, or an operator).');
export const JobEnRoute = jobEvent('en_route', 'The locksmith is on the way.');
export const JobCompleted = jobEvent('completed', 'The job is done.');
export const JobCanceled = jobEvent('canceled', 'The job was canceled.');
export const JobFailed = jobEvent('failed', 'No locksmith could be found.');

/** The event published when a job enters each state. */
export const JOB_EVENT_BY_STATE: Record<JobState, EventContract<typeof JobStateChangedData>> = {
  CREATED: JobCreated,
  DISPATCHING: JobDispatching,
  OFFERED: JobOffered,
  ASSIGNED: JobAssigned,
  EN_ROUTE: JobEnRoute,
  COMPLETED: JobCompleted,
  CANCELED: JobCanceled,
  FAILED: JobFailed,
};

export const OfferSent = defineEvent(
  'evt.dispatch.offer.sent.v1',
  'A locksmith was offered a job (messaging texts the offer).',
  Type.Object({
    offerId: Uuid,
    jobId: Uuid,
    jobCode: Type.String(),
    providerId: Uuid,
    providerPhone: E164,
    wave: Type.Integer({ minimum: 1 }),
    serviceName: Type.String(),
    area: Type.String(),
    distanceKm: Type.Number(),
    expiresAt: Timestamp,
  }),
);

export const OfferClosed = defineEvent(
  'evt.dispatch.offer.closed.v1',
  'An offer ended: accepted, declined, expired, canceled (job taken or stopped) or failed (SMS undeliverable).',
  Type.Object({
    offerId: Uuid,
    jobId: Uuid,
    jobCode: Type.String(),
    providerId: Uuid,
    providerPhone: E164,
    status: OfferStatus,
    reason: Type.String(),
    responseSeconds: Type.Union([Type.Number(), Type.Null()]),
  }),
);

export const ReplyRejected = defineEvent(
  'evt.dispatch.reply.rejected.v1',
  "A locksmith's SMS reply could not be applied (job taken, nothing pending, …); messaging tells them why.",
  Type.Object({
    providerId: Uuid,
    providerPhone: E164,
    command: Type.String(),
    reason: Type.Union([
      Type.Literal('job_taken'),
      Type.Literal('no_pending_offer'),
      Type.Literal('no_active_job'),
      Type.Literal('wrong_job_code'),
      Type.Literal('offer_expired'),
      Type.Literal('on_another_job'),
    ]),
    jobCode: Type.Union([Type.String(), Type.Null()]),
    /**
     * The job the reply was about, where there is one (job_taken: the job another locksmith won), so
     * messaging can tell a race's loser "taken" once, not again beside the offer's own closing text.
     */
    jobId: Type.Optional(Type.Union([Uuid, Type.Null()])),
    /** When the rejected SMS reached the platform (`sms.received`'s `receivedAt`). */
    replyReceivedAt: Type.Optional(Timestamp),
  }),
);

/** A job as dispatch has it now: enough for another service to check its own view of who is on it. */
export const JobEngagement = Type.Object({
  jobId: Uuid,
  state: JobState,
  locksmithId: Type.Union([Uuid, Type.Null()]),
  at: Type.String({
    format: 'date-time',
    description: "The job's last change (its latest job event's `at`, or later), to the millisecond",
  }),
});
export type JobEngagement = Static<typeof JobEngagement>;

/** An offer as dispatch has it now. */
export const OfferEngagement = Type.Object({
  offerId: Uuid,
  /** The job offered; null for a plumbing lead's offer (then `leadId`). */
  jobId: Type.Union([Uuid, Type.Null()]),
  leadId: Type.Optional(Type.Union([Uuid, Type.Null()])),
  providerId: Uuid,
  status: OfferStatus,
  responseSeconds: Type.Union([Type.Number(), Type.Null()]),
  sentAt: Timestamp,
  closedAt: Type.Union([Timestamp, Type.Null()]),
});
export type OfferEngagement = Static<typeof OfferEngagement>;

const EngagementIds = Type.Array(Uuid, { maxItems: 200, uniqueItems: true });

export const ProvidersEngaged = defineEndpoint(
  'svc.dispatch.providers.engaged',
  'Who dispatch has on a job (ASSIGNED / EN_ROUTE) or holding a pending offer, as of `asOf`: the current ' +
    'state of the jobs and offers named, and a page (by provider id) of every engaged provider with their ' +
    'open jobs and pending offers. The registry reconciles its busy and pending-offer flags with it.',
  Type.Object(
    {
      jobIds: Type.Optional(EngagementIds),
      offerIds: Type.Optional(EngagementIds),
      engaged: Type.Optional(
        Type.Object(
          {
            after: Type.Union([Uuid, Type.Null()], {
              description: 'Providers with a greater id; null: from the start',
            }),
            limit: Type.Integer({ minimum: 1, maximum: 200, description: 'Providers per page' }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object({
    asOf: Type.String({ format: 'date-time', description: "Dispatch's clock just before it read" }),
    jobs: Type.Array(JobEngagement),
    offers: Type.Array(OfferEngagement),
    next: Type.Union([Uuid, Type.Null()], {
      description:
        'The `after` of the next page of engaged providers; null when this page was the last (or none was asked)',
    }),
  }),
);
export type ProvidersEngagedRequest = Static<typeof ProvidersEngaged.request>;
export type ProvidersEngagedReply = Static<typeof ProvidersEngaged.reply>;
