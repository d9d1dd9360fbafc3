import { SERVICE_NAMES, streamOf, type EventContract, type ServiceName } from './define.ts';
import * as dispatch from './dispatch.ts';
import * as intake from './intake.ts';
import * as messaging from './messaging.ts';
import * as payments from './payments.ts';
import * as registry from './registry.ts';

/** A JetStream stream the provisioning step creates. */
export interface StreamDefinition {
  name: string;
  subjects: string[];
  description: string;
  maxAgeMs: number;
  /** JetStream drops a re-published message with the same Nats-Msg-Id within this window. */
  duplicateWindowMs: number;
}

const DAY = 24 * 60 * 60 * 1000;

export const EVENT_STREAMS: StreamDefinition[] = SERVICE_NAMES.map((owner) => ({
  name: streamOf(owner),
  subjects: [`evt.${owner}.>`],
  description: `Events published by ${owner}`,
  maxAgeMs: 7 * DAY,
  duplicateWindowMs: 10 * 60 * 1000,
}));

/** Where a consumer puts a message it gave up on; operators read it with `nats stream view DEAD_LETTER`. */
export const DEAD_LETTER_STREAM: StreamDefinition = {
  name: 'DEAD_LETTER',
  subjects: ['dlq.>'],
  description: 'Events a consumer could not handle after its bounded redeliveries, or could never handle',
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
  maxDeliver: number;
  ackWaitMs: number;
}

function consumer(
  service: ServiceName,
  purpose: string,
  events: EventContract[],
  filterSubject?: string,
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
    maxDeliver: 5,
    ackWaitMs: 30_000,
  };
}

const jobEvents = Object.values(dispatch.JOB_EVENT_BY_STATE);

export const CONSUMERS = {
  dispatchBookings: consumer('dispatch', 'booking-ready', [intake.BookingReady]),
  dispatchSms: consumer(
    'dispatch',
    'sms',
    [messaging.SmsReceived, messaging.SmsStatusChanged],
    'evt.messaging.sms.>',
  ),
  paymentsJobs: consumer('payments', 'jobs', jobEvents, 'evt.dispatch.job.>'),
  /** A plumber created → their Stripe customer and a card link (sent by messaging). */
  paymentsProviders: consumer('payments', 'providers', [registry.ProviderCreated], 'evt.registry.provider.>'),
  messagingOffers: consumer(
    'messaging',
    'dispatch',
    [...jobEvents, dispatch.OfferSent, dispatch.OfferClosed, dispatch.ReplyRejected],
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
    [...jobEvents, dispatch.OfferSent, dispatch.OfferClosed],
    'evt.dispatch.>',
  ),
  registryPayments: consumer(
    'registry',
    'payments',
    [payments.ProviderCardUpdated],
    'evt.payments.provider.>',
  ),
  intakeJobs: consumer('intake', 'jobs', jobEvents, 'evt.dispatch.job.>'),
  intakePayments: consumer(
    'intake',
    'payments',
    [payments.DepositAuthorized, payments.DepositFailed, payments.DepositReleased, payments.DepositCaptured],
    'evt.payments.deposit.>',
  ),
} satisfies Record<string, ConsumerDefinition>;

export const ALL_CONSUMERS: ConsumerDefinition[] = Object.values(CONSUMERS);
