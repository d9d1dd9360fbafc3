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
