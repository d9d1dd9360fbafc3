import { SERVICE_NAMES, streamOf, type EventContract, type ServiceName } from './define.ts';
import * as dispatch from './dispatch.ts';
import * as intake from './intake.ts';
import * as leads from './leads.ts';
import * as messaging from './messaging.ts';
import * as payments from './payments.ts';
import * as registry from './registry.ts';
import * as credits from './lead-credits.ts';

/** A JetStream stream the provisioning step creates. */
export interface StreamDefinition {
  name: string;
  subjects: string[];
  description: string;
  maxAgeMs: number;
  /** JetStream drops a re-published message with the same Nats-Msg-Id within this window. */
  duplicateWindowMs: number;
}

const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const EVENT_STREAMS: StreamDefinition[] = SERVICE_NAMES.map((owner) => ({
  name: streamOf(owner),
  subjects: [`evt.${owner}.>`],
  description: `Events published by ${owner}`,
  maxAgeMs: 7 * DAY,
  duplicateWindowMs: 10 * 60 * 1000,
}));

/**
 * Where a consumer puts a message it gave up on: one that can never succeed (a 4xx, an invalid payload)
 * or that kept failing for longer than its consumer's `retryForMs`. Operators list, replay and discard
 * them with `npm run dlq`.
 */
export const DEAD_LETTER_STREAM: StreamDefinition = {
  name: 'DEAD_LETTER',
  subjects: ['dlq.>'],
  description:
    'Events a consumer could never handle, or kept failing to handle for longer than its retry window',
  maxAgeMs: 30 * DAY,
  duplicateWindowMs: 2 * 60 * 1000,
};

/**
 * The operators' audit trail: every mutating admin action, published by the gateway with the
 * operator's identity. Kept a year; read with `nats stream view AUDIT` or `GET /api/admin/audit`.
 */
export const AUDIT_STREAM: StreamDefinition = {
  name: 'AUDIT',
  subjects: ['audit.>'],
  description: 'Mutating admin actions with operator, time, target and a payload summary',
  maxAgeMs: 365 * DAY,
  duplicateWindowMs: 2 * 60 * 1000,
};

export const auditSubject = (action: string): string =>
  `audit.admin.${action.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}`;

export const STREAMS: StreamDefinition[] = [...EVENT_STREAMS, DEAD_LETTER_STREAM, AUDIT_STREAM];

/**
 * A JetStream key-value bucket the provisioning step creates: one value per key (compare-and-set on its
 * revision), and a key nobody has written for `maxAgeMs` is dropped (NATS 2.9 has no per-key TTL).
 */
export interface KvBucketDefinition {
  name: string;
  description: string;
  maxAgeMs: number;
}

/** The gateway's rate-limit counters, shared by its replicas; no window may be longer than this bucket keeps a key. */
export const RATE_LIMIT_BUCKET: KvBucketDefinition = {
  name: 'gateway-rate-limits',
  description: "The gateway's rate-limit counters per route and client, shared by every replica",
  maxAgeMs: 15 * MINUTE,
};

/** Open live-status streams per tracking token and per client address, as leases that end with their stream. */
export const STATUS_STREAM_BUCKET: KvBucketDefinition = {
  name: 'gateway-status-streams',
  description: 'Leases of open live-status streams per tracking token and per client address',
  maxAgeMs: 2 * 60 * MINUTE,
};

/** Local operator sessions: one key per session; logout or revocation deletes it, the bucket drops it after 12 h. */
export const OPERATOR_SESSION_BUCKET: KvBucketDefinition = {
  name: 'admin-sessions',
  description: 'Signed-in operators of the local admin login (the session cookie names one key)',
  maxAgeMs: DAY / 2,
};

export const KV_BUCKETS: KvBucketDefinition[] = [
  RATE_LIMIT_BUCKET,
  STATUS_STREAM_BUCKET,
  OPERATOR_SESSION_BUCKET,
];

export const deadLetterSubject = (durable: string): string => `dlq.${durable}`;

/** Headers put on a dead-lettered message so an operator can see where it came from and why. */
export const DEAD_LETTER_HEADERS = {
  subject: 'Dlq-Original-Subject',
  stream: 'Dlq-Original-Stream',
  sequence: 'Dlq-Original-Sequence',
  consumer: 'Dlq-Consumer',
  deliveries: 'Dlq-Deliveries',
  reason: 'Dlq-Reason',
} as const;

/**
 * A durable pull consumer: one service's subscription to some of another's events. Declared here, in
 * one place, so provisioning creates exactly what the services bind to.
 */
export interface ConsumerDefinition {
  durable: string;
  service: ServiceName;
  stream: string;
  filterSubject: string;
  /** The events this consumer handles; any other subject matching the filter is acknowledged and skipped. */
  events: EventContract[];
  /**
   * How long an event that fails for a reason that may pass (a database failover, a provider's outage, a
   * service restarting) is retried, with back-off capped at a minute, before it is dead-lettered: as long
   * as the business still wants the work done. JetStream redelivers without limit; the consumer decides.
   */
  retryForMs: number;
  /**
   * Past this much retrying, each failed delivery is logged as an error and counted in
   * `jetstream_event_retries_overdue_total`, which the alert rules watch.
   */
  retryAlertAfterMs: number;
  /** How long JetStream waits for an ack before redelivering; the consumer extends it while it works. */
  ackWaitMs: number;
}

/** What a consumer is given unless its declaration says otherwise. */
export const CONSUMER_DEFAULTS = {
  retryForMs: 6 * HOUR,
  retryAlertAfterMs: 10 * MINUTE,
  ackWaitMs: 30_000,
} satisfies Partial<ConsumerDefinition>;

type ConsumerSettings = Partial<Pick<ConsumerDefinition, keyof typeof CONSUMER_DEFAULTS>>;

function consumer(
  service: ServiceName,
  purpose: string,
  events: EventContract[],
  filterSubject?: string,
  settings: ConsumerSettings = {},
): ConsumerDefinition {
  const first = events[0];
  if (!first) throw new Error(`consumer ${service}-${purpose} handles no events`);
  const stream = first.stream;
  if (events.some((e) => e.stream !== stream))
    throw new Error(`consumer ${service}-${purpose} spans streams`);
  return {
    durable: `${service}-${purpose}`,
    service,
    stream,
    filterSubject: filterSubject ?? first.subject,
    events,
    ...CONSUMER_DEFAULTS,
    ...settings,
  };
}

const jobEvents = Object.values(dispatch.JOB_EVENT_BY_STATE);
const leadSaleEvents = Object.values(leads.LEAD_EVENT_BY_STATE);

export const CONSUMERS = {
  dispatchBookings: consumer('dispatch', 'booking-ready', [intake.BookingReady]),
  dispatchSms: consumer(
    'dispatch',
    'sms',
    [messaging.SmsReceived, messaging.SmsStatusChanged],
    'evt.messaging.sms.>',
  ),
  // Captures, releases and refunds: a card authorization holds for days, so a Stripe incident is waited
  // out for a day rather than left to an operator.
  paymentsJobs: consumer('payments', 'jobs', jobEvents, 'evt.dispatch.job.>', { retryForMs: 24 * HOUR }),
  /** A lead sold by YES (CHARGING) → the buyer's card is charged; a voided charge → refunded. */
  paymentsLeads: consumer(
    'payments',
    'leads',
    [leads.LeadCharging, leads.LeadChargeVoided, credits.CreditApproved],
    'evt.dispatch.lead.>',
  ),
  /** An accepted lead → dispatch sells it. */
  dispatchLeads: consumer('dispatch', 'leads', [intake.LeadAccepted], intake.LeadAccepted.subject),
  /** The charge's result → the lead is sold, or goes to the next in line. */
  dispatchLeadCharges: consumer(
    'dispatch',
    'lead-charges',
    [
      payments.LeadChargeSucceeded,
      payments.LeadChargeFailed,
      credits.LeadChargeCredited,
      credits.LeadChargeCreditFailed,
    ],
    'evt.payments.lead_charge.>',
  ),
  /** The homeowner's NO, or their number dead: facts for the automatic credit checks. */
  dispatchHomeowners: consumer(
    'dispatch',
    'homeowners',
    [credits.HomeownerReplied, credits.HomeownerUnreachable],
    'evt.messaging.lead.>',
  ),
  /** A plumber created → their Stripe customer and a card link (sent by messaging). */
  paymentsProviders: consumer('payments', 'providers', [registry.ProviderCreated], 'evt.registry.provider.>'),
  messagingOffers: consumer(
    'messaging',
    'dispatch',
    [
      ...jobEvents,
      dispatch.OfferSent,
      dispatch.OfferClosed,
      dispatch.ReplyRejected,
      leads.LeadOfferSent,
      leads.LeadOfferClosed,
      leads.LeadOfferQueued,
      leads.LeadReplyRejected,
      leads.LeadAssigned,
      leads.LeadCompleted,
      leads.PlumberCapReached,
      credits.CreditRequested,
      credits.CreditDenied,
      credits.CreditRefunded,
      credits.CreditRequestRejected,
    ],
    'evt.dispatch.>',
  ),
  messagingProviders: consumer(
    'messaging',
    'registry',
    [
      registry.ProviderAvailabilityChanged,
      registry.ProviderDeactivated,
      registry.ProviderCreated,
      registry.ProviderUpdated,
    ],
    'evt.registry.provider.>',
  ),
  messagingPayments: consumer(
    'messaging',
    'payments',
    [payments.ProviderCardLinkCreated],
    'evt.payments.provider.>',
  ),
  messagingParkedWebhooks: consumer(
    'messaging',
    'parked-webhooks',
    [messaging.ParkedInboundSms, messaging.ParkedStatusCallback],
    'evt.messaging.webhook.>',
  ),
  registrySms: consumer('registry', 'sms', [messaging.SmsReceived], messaging.SmsReceived.subject),
  registryDispatch: consumer(
    'registry',
    'dispatch',
    [...jobEvents, dispatch.OfferSent, dispatch.OfferClosed, leads.LeadOfferSent, leads.LeadOfferClosed],
    'evt.dispatch.>',
  ),
  registryPayments: consumer(
    'registry',
    'payments',
    [payments.ProviderCardUpdated],
    'evt.payments.provider.>',
  ),
  intakeJobs: consumer('intake', 'jobs', jobEvents, 'evt.dispatch.job.>'),
  /** The sale's states projected onto the lead's public status. */
  intakeLeads: consumer(
    'intake',
    'leads',
    [...leadSaleEvents, credits.CreditRefunded],
    'evt.dispatch.lead.>',
  ),
  intakePayments: consumer(
    'intake',
    'payments',
    [payments.DepositAuthorized, payments.DepositFailed, payments.DepositReleased, payments.DepositCaptured],
    'evt.payments.deposit.>',
  ),
} satisfies Record<string, ConsumerDefinition>;

export const ALL_CONSUMERS: ConsumerDefinition[] = Object.values(CONSUMERS);
