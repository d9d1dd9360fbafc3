import Type, { type Static } from 'typebox';
import { Address, Cents, Cursor, E164, Empty, Limit, Page, ServiceCode, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent } from './define.ts';

export const CatalogItem = Type.Object({
  code: ServiceCode,
  name: Type.String(),
  description: Type.String(),
  depositCents: Cents,
  priceMinCents: Cents,
  priceMaxCents: Cents,
});
export type CatalogItem = Static<typeof CatalogItem>;

/** The booking funnel's steps, in order. `step` on a session is the next one expected. */
export const FunnelStep = Type.Union([
  Type.Literal('start'),
  Type.Literal('location'),
  Type.Literal('service'),
  Type.Literal('payment'),
  Type.Literal('complete'),
]);
export type FunnelStep = Static<typeof FunnelStep>;

export const BookingState = Type.Union([
  Type.Literal('draft'),
  Type.Literal('awaiting_payment'),
  Type.Literal('completed'),
  Type.Literal('expired'),
]);

export const Utm = Type.Object(
  {
    source: Type.Optional(Type.String({ maxLength: 200 })),
    medium: Type.Optional(Type.String({ maxLength: 200 })),
    campaign: Type.Optional(Type.String({ maxLength: 200 })),
    term: Type.Optional(Type.String({ maxLength: 200 })),
    content: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type BookingUtm = Static<typeof Utm>;

const SessionId = Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$', description: 'Unguessable session id' });

export const JobSummaryForCustomer = Type.Object({
  id: Uuid,
  state: Type.String(),
  locksmith: Type.Optional(
    Type.Object({ name: Type.String(), etaMinutes: Type.Union([Type.Integer(), Type.Null()]) }),
  ),
});

export const BookingView = Type.Object({
  id: SessionId,
  step: FunnelStep,
  state: BookingState,
  trackingToken: Type.Optional(Type.String()),
  serviceCode: Type.Optional(ServiceCode),
  address: Type.Optional(Address),
  served: Type.Optional(Type.Boolean()),
  depositCents: Type.Optional(Cents),
  /** The deposit as payments last reported it: authorized, captured, released, refunded, failed. */
  depositStatus: Type.Optional(Type.String()),
  job: Type.Optional(JobSummaryForCustomer),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type BookingView = Static<typeof BookingView>;

export const CatalogList = defineEndpoint(
  'svc.intake.catalog.list',
  'The service catalog with deposits and the price ranges shown to customers.',
  Empty,
  Type.Object({ items: Type.Array(CatalogItem) }),
);

export const SessionStart = defineEndpoint(
  'svc.intake.session.start',
  'Start a booking session with funnel attribution.',
  Type.Object({
    referrer: Type.Optional(Type.String({ maxLength: 2000 })),
    utm: Type.Optional(Utm),
    userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
  }),
  Type.Object({ id: SessionId }),
);

export const SessionLocation = defineEndpoint(
  'svc.intake.session.location',
  'Step 1: where. Geocode and check the service area.',
  Type.Object({
    id: SessionId,
    address: Type.String({ minLength: 3, maxLength: 300 }),
    lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    lng: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  }),
  Type.Object({ served: Type.Boolean(), address: Address, message: Type.Optional(Type.String()) }),
);

export const SessionService = defineEndpoint(
  'svc.intake.session.service',
  'Step 2: what. Service, name and mobile number.',
  Type.Object({
    id: SessionId,
    serviceCode: ServiceCode,
    name: Type.String({ minLength: 1, maxLength: 120 }),
    phone: Type.String({ minLength: 4, maxLength: 40 }),
    notes: Type.Optional(Type.String({ maxLength: 1000 })),
  }),
  Type.Object({ depositCents: Cents, phone: E164 }),
);

export const PaymentMode = Type.Union([Type.Literal('stripe'), Type.Literal('emulator')]);

export const DepositIntent = Type.Object({
  paymentIntentId: Type.String(),
  clientSecret: Type.String(),
  amountCents: Cents,
  mode: PaymentMode,
  publishableKey: Type.Optional(Type.String()),
});

export const SessionPaymentIntent = defineEndpoint(
  'svc.intake.session.payment_intent',
  'Step 3: the deposit. Creates (or returns) the manual-capture PaymentIntent.',
  Type.Object({ id: SessionId }),
  DepositIntent,
);

export const SessionTestConfirm = defineEndpoint(
  'svc.intake.session.test_confirm',
  'Local mode only: confirm the deposit with a Stripe test payment method through the emulator.',
  Type.Object({ id: SessionId, paymentMethod: Type.String({ pattern: '^pm_[A-Za-z0-9_]+$' }) }),
  Type.Object({ status: Type.String() }),
);

export const SessionComplete = defineEndpoint(
  'svc.intake.session.complete',
  'Complete the booking once the deposit is authorized; idempotent.',
  Type.Object({ id: SessionId }),
  Type.Object({ state: BookingState, trackingToken: Type.String() }),
);

export const SessionGet = defineEndpoint(
  'svc.intake.session.get',
  'A booking by session id or by public tracking token.',
  Type.Object({ id: Type.Optional(SessionId), trackingToken: Type.Optional(Type.String({ maxLength: 64 })) }),
  BookingView,
);

export const SessionSummary = Type.Object({
  id: SessionId,
  step: FunnelStep,
  furthestStep: FunnelStep,
  state: BookingState,
  completed: Type.Boolean(),
  serviceCode: Type.Optional(ServiceCode),
  address: Type.Optional(Type.String()),
  served: Type.Optional(Type.Boolean()),
  referrer: Type.Optional(Type.String()),
  utm: Type.Optional(Utm),
  userAgentClass: Type.Optional(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type SessionSummaryItem = Static<typeof SessionSummary>;

export const SessionList = defineEndpoint(
  'svc.intake.session.list',
  'Booking sessions, newest first, with the furthest step reached.',
  Type.Object({
    step: Type.Optional(FunnelStep),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(SessionSummary),
);

export const FunnelSummary = defineEndpoint(
  'svc.intake.funnel.summary',
  'How many sessions reached each funnel step in a period.',
  Type.Object({ from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }),
  Type.Object({
    steps: Type.Array(Type.Object({ step: FunnelStep, sessions: Type.Integer({ minimum: 0 }) })),
  }),
);

export const BookingReady = defineEvent(
  'evt.intake.booking.ready.v1',
  'A booking has an authorized deposit and is ready for dispatch.',
  Type.Object({
    bookingId: SessionId,
    trackingToken: Type.String(),
    serviceCode: ServiceCode,
    serviceName: Type.String(),
    customer: Type.Object({ name: Type.String(), phone: E164 }),
    address: Address,
    notes: Type.Union([Type.String(), Type.Null()]),
    depositCents: Cents,
    paymentIntentId: Type.String(),
    completedAt: Timestamp,
  }),
);

export const BookingUpdated = defineEvent(
  'evt.intake.booking.updated.v1',
  "A booking's customer-visible status changed (drives the live status page).",
  Type.Object({ booking: BookingView }),
);

// ---------------------------------------------------------------------------------------------------
// Plumbing leads: intake takes them from the public form and from partners' API, and owns partners,
// their API keys, idempotency keys, the price table and the duplicate rule.

export const LeadUrgency = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);
export const LeadStatus = Type.Union([
  Type.Literal('new'),
  Type.Literal('offered'),
  Type.Literal('assigned'),
  Type.Literal('completed'),
  Type.Literal('unsold'),
  Type.Literal('rejected'),
  Type.Literal('credited'),
]);
export type LeadStatus = Static<typeof LeadStatus>;
export const LeadSource = Type.Union([Type.Literal('form'), Type.Literal('partner')]);
export type LeadSource = Static<typeof LeadSource>;
const ZipCode = Type.String({ pattern: '^[0-9]{5}$' });
const IdempotencyKey = Type.String({ minLength: 1, maxLength: 255 });

/**
 * A lead's fields as the homeowner or partner sent them. Only their types and lengths are fixed here:
 * intake checks the rest (names, email, phone, ZIP, catalogue) and reports every bad field at once.
 */
export const LeadFields = Type.Object({
  firstName: Type.String({ maxLength: 200 }),
  lastName: Type.String({ maxLength: 200 }),
  email: Type.String({ maxLength: 320 }),
  phone: Type.String({ maxLength: 40 }),
  serviceNeeded: Type.String({ maxLength: 60, description: 'A code from GET /api/leads/services' }),
  urgency: Type.String({ maxLength: 20, description: 'day, week or month' }),
  zipCode: Type.String({ maxLength: 20 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  externalId: Type.Optional(
    Type.String({ maxLength: 200, description: "The partner's own id for the lead" }),
  ),
});
export type LeadFields = Static<typeof LeadFields>;

/** What the homeowner agreed to, where and when. */
export const LeadConsent = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 5000, description: 'The exact consent text shown' }),
  capturedAt: Timestamp,
  ip: Type.Optional(Type.String({ maxLength: 100 })),
  userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
  pageUrl: Type.Optional(Type.String({ maxLength: 2000 })),
});
export type LeadConsent = Static<typeof LeadConsent>;

export const LeadReceipt = Type.Object({
  leadId: Uuid,
  status: Type.Literal('accepted'),
  priceCents: Cents,
  test: Type.Optional(Type.Boolean({ description: 'Sent with a test key: validated, never offered' })),
});
export type LeadReceipt = Static<typeof LeadReceipt>;

export const LeadTimelineEntry = Type.Object({
  status: LeadStatus,
  at: Timestamp,
  cause: Type.String(),
  actor: Type.String(),
});

export const LeadSummary = Type.Object({
  id: Uuid,
  status: LeadStatus,
  serviceNeeded: ServiceCode,
  serviceName: Type.String(),
  urgency: LeadUrgency,
  zipCode: ZipCode,
  priceCents: Cents,
  firstName: Type.String(),
  lastName: Type.String(),
  source: LeadSource,
  partnerId: Type.Union([Uuid, Type.Null()]),
  externalId: Type.Union([Type.String(), Type.Null()]),
  test: Type.Boolean(),
  plumberId: Type.Union([Uuid, Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type LeadSummary = Static<typeof LeadSummary>;

export const LeadView = Type.Object({
  ...LeadSummary.properties,
  email: Type.String(),
  phone: E164,
  description: Type.Union([Type.String(), Type.Null()]),
  lat: Type.Number(),
  lng: Type.Number(),
  partnerKeyId: Type.Union([Uuid, Type.Null()]),
  rejectionReason: Type.Union([Type.String(), Type.Null()]),
  consent: LeadConsent,
  timeline: Type.Array(LeadTimelineEntry),
});
export type LeadView = Static<typeof LeadView>;

export const LeadServices = defineEndpoint(
  'svc.intake.lead.services',
  'The plumbing catalogue a lead can ask for.',
  Empty,
  Type.Object({ items: Type.Array(Type.Object({ code: ServiceCode, name: Type.String() })) }),
);

export const LeadSubmit = defineEndpoint(
  'svc.intake.lead.submit',
  'Take a lead from the public form or a partner: validate every field, refuse duplicates (same phone or ' +
    'email and service in 30 days, 409 DUPLICATE_LEAD) and leads nobody can buy (422 NOT_SERVED), price it, ' +
    'store it and publish evt.intake.lead.accepted.v1 (never for a test key). With an idempotency key, a ' +
    'retry returns the first answer.',
  Type.Object({
    lead: LeadFields,
    consent: LeadConsent,
    source: LeadSource,
    partnerId: Type.Optional(Uuid),
    partnerKeyId: Type.Optional(Uuid),
    test: Type.Optional(Type.Boolean()),
    idempotencyKey: Type.Optional(IdempotencyKey),
  }),
  LeadReceipt,
);

export const LeadGet = defineEndpoint(
  'svc.intake.lead.get',
  "One lead with its consent and timeline. With partnerId, another partner's lead is 404 LEAD_NOT_FOUND.",
  Type.Object({ id: Uuid, partnerId: Type.Optional(Uuid) }),
  LeadView,
);

export const LeadList = defineEndpoint(
  'svc.intake.lead.list',
  'Leads, newest first (keyset on created_at, id), by status, service, urgency, ZIP, partner and period.',
  Type.Object({
    status: Type.Optional(LeadStatus),
    serviceNeeded: Type.Optional(ServiceCode),
    urgency: Type.Optional(LeadUrgency),
    zipCode: Type.Optional(ZipCode),
    partnerId: Type.Optional(Uuid),
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(LeadSummary),
);

export const PartnerStatus = Type.Union([Type.Literal('active'), Type.Literal('suspended')]);

export const PartnerKey = Type.Object({
  id: Uuid,
  name: Type.Union([Type.String(), Type.Null()]),
  test: Type.Boolean(),
  prefix: Type.String({ description: 'The first 8 characters of the key, to tell keys apart' }),
  createdAt: Timestamp,
  lastUsedAt: Type.Union([Timestamp, Type.Null()]),
  revokedAt: Type.Union([Timestamp, Type.Null()]),
});

export const Partner = Type.Object({
  id: Uuid,
  name: Type.String(),
  email: Type.Union([Type.String(), Type.Null()]),
  contactName: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  status: PartnerStatus,
  rateLimitPerMinute: Type.Integer({ minimum: 1 }),
  /** What the partner is paid per lead intake accepted from it; null: no payout. */
  payoutCentsPerLead: Type.Union([Cents, Type.Null()]),
  /** Where every outcome of its leads is POSTed, signed; null: no webhook. */
  webhookUrl: Type.Union([Type.String(), Type.Null()]),
  /** Whether a webhook signing secret exists (the secret is shown once, when it is made). */
  webhookSecretSet: Type.Boolean(),
  keys: Type.Array(PartnerKey),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Partner = Static<typeof Partner>;

const RateLimitPerMinute = Type.Integer({ minimum: 1, maximum: 100_000 });

export const PartnerCreate = defineEndpoint(
  'svc.intake.partner.create',
  'A lead-generation partner that may post leads with its API keys.',
  Type.Object({
    name: Type.String({ minLength: 1, maxLength: 120 }),
    email: Type.Optional(Type.String({ maxLength: 254 })),
    contactName: Type.Optional(Type.String({ maxLength: 120 })),
    phone: Type.Optional(Type.String({ maxLength: 40 })),
    rateLimitPerMinute: Type.Optional(RateLimitPerMinute),
    payoutCentsPerLead: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    webhookUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    actor: Type.Optional(Type.String({ maxLength: 200 })),
  }),
  Partner,
);

export const PartnerList = defineEndpoint(
  'svc.intake.partner.list',
  'Partners, newest first, with their keys (never the keys themselves).',
  Type.Object({ cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) }),
  Page(Partner),
);

export const PartnerGet = defineEndpoint(
  'svc.intake.partner.get',
  'One partner with its keys.',
  Type.Object({ id: Uuid }),
  Partner,
);

export const PartnerKeyCreate = defineEndpoint(
  'svc.intake.partner.key_create',
  'A new API key for a partner. The key is in this reply only; intake keeps its SHA-256.',
  Type.Object({
    partnerId: Uuid,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
    test: Type.Optional(Type.Boolean()),
  }),
  Type.Object({
    id: Uuid,
    key: Type.String(),
    prefix: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    test: Type.Boolean(),
  }),
);

export const PartnerKeyRevoke = defineEndpoint(
  'svc.intake.partner.key_revoke',
  'Revoke a key at once (idempotent).',
  Type.Object({ partnerId: Uuid, keyId: Uuid }),
  Type.Object({ id: Uuid, revokedAt: Timestamp }),
);

export const PartnerAuthenticate = defineEndpoint(
  'svc.intake.partner.authenticate',
  'The partner an API key belongs to; an unknown or revoked key (or a suspended partner) is 401 INVALID_API_KEY.',
  Type.Object({ key: Type.String({ maxLength: 200 }) }),
  Type.Object({
    partnerId: Uuid,
    keyId: Uuid,
    test: Type.Boolean(),
    rateLimitPerMinute: Type.Integer({ minimum: 1 }),
  }),
);

export const LeadAccepted = defineEvent(
  'evt.intake.lead.accepted.v1',
  'A lead passed intake (valid, not a duplicate, served, not a test) and is ready to be sold.',
  Type.Object({
    leadId: Uuid,
    serviceCode: ServiceCode,
    serviceName: Type.String(),
    urgency: LeadUrgency,
    zipCode: ZipCode,
    lat: Type.Number({ minimum: -90, maximum: 90 }),
    lng: Type.Number({ minimum: -180, maximum: 180 }),
    priceCents: Cents,
    homeowner: Type.Object({
      firstName: Type.String(),
      lastName: Type.String(),
      email: Type.String(),
      phone: E164,
    }),
    description: Type.Union([Type.String(), Type.Null()]),
    source: LeadSource,
    partnerId: Type.Union([Uuid, Type.Null()]),
    acceptedAt: Timestamp,
  }),
);
