import Type, { type Static } from 'typebox';
import { Cents, E164, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent } from './define.ts';
import { notFound, type AppError } from './errors.ts';
import { DepositIntent } from './intake.ts';

export const DepositStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('authorized'),
  Type.Literal('captured'),
  Type.Literal('released'),
  Type.Literal('refunded'),
  Type.Literal('partially_refunded'),
  Type.Literal('failed'),
]);
export type DepositStatus = Static<typeof DepositStatus>;

export const Deposit = Type.Object({
  bookingId: Type.String(),
  paymentIntentId: Type.String(),
  status: DepositStatus,
  stripeStatus: Type.String(),
  amountCents: Cents,
  capturedCents: Cents,
  refundedCents: Cents,
  lastError: Type.Union([Type.String(), Type.Null()]),
});
export type Deposit = Static<typeof Deposit>;

const BookingRef = Type.Object({ bookingId: Type.String({ minLength: 1, maxLength: 64 }) });

export const DepositCreateIntent = defineEndpoint(
  'svc.payments.deposit.create_intent',
  'Create, or return the existing, manual-capture PaymentIntent for a booking deposit.',
  Type.Object({
    bookingId: Type.String({ minLength: 1, maxLength: 64 }),
    amountCents: Type.Integer({ minimum: 50 }),
    description: Type.String({ maxLength: 200 }),
  }),
  DepositIntent,
);

export const DepositGet = defineEndpoint(
  'svc.payments.deposit.get',
  "A booking's deposit.",
  BookingRef,
  Deposit,
);

export const DepositSync = defineEndpoint(
  'svc.payments.deposit.sync',
  "Re-read a booking's PaymentIntent from Stripe and record what it says.",
  BookingRef,
  Deposit,
);

export const DepositTestConfirm = defineEndpoint(
  'svc.payments.deposit.test_confirm',
  'Emulator mode only: confirm the PaymentIntent with a Stripe test payment method.',
  Type.Object({ bookingId: Type.String({ minLength: 1, maxLength: 64 }), paymentMethod: Type.String() }),
  Deposit,
);

export const DepositCapture = defineEndpoint(
  'svc.payments.deposit.capture',
  'Capture an authorized deposit (a locksmith was assigned).',
  Type.Object({ bookingId: Type.String({ minLength: 1, maxLength: 64 }), jobId: Type.Optional(Uuid) }),
  Deposit,
);

export const DepositRelease = defineEndpoint(
  'svc.payments.deposit.release',
  'Release an uncaptured hold (the job failed or was canceled).',
  Type.Object({
    bookingId: Type.String({ minLength: 1, maxLength: 64 }),
    reason: Type.String({ maxLength: 500 }),
  }),
  Deposit,
);

export const DepositRefund = defineEndpoint(
  'svc.payments.deposit.refund',
  'Refund a captured deposit, fully or partly, with a reason.',
  Type.Object({
    bookingId: Type.String({ minLength: 1, maxLength: 64 }),
    amountCents: Type.Optional(Type.Integer({ minimum: 1 })),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    actor: Type.String(),
  }),
  Deposit,
);

export const StripeWebhook = defineEndpoint(
  'svc.payments.webhook.stripe',
  'A Stripe webhook delivery, relayed raw by the gateway for verification and handling.',
  Type.Object({ rawBody: Type.String(), signature: Type.String() }),
  Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() }),
);

const DepositEvent = {
  bookingId: Type.String(),
  paymentIntentId: Type.String(),
  amountCents: Cents,
};

export const DepositAuthorized = defineEvent(
  'evt.payments.deposit.authorized.v1',
  'The card was authorized for the deposit (hold placed).',
  Type.Object(DepositEvent),
);
export const DepositCaptured = defineEvent(
  'evt.payments.deposit.captured.v1',
  'The deposit was captured.',
  Type.Object({ ...DepositEvent, capturedCents: Cents }),
);
export const DepositReleased = defineEvent(
  'evt.payments.deposit.released.v1',
  'The hold was released; the customer is not charged.',
  Type.Object({ ...DepositEvent, reason: Type.String() }),
);
export const DepositRefunded = defineEvent(
  'evt.payments.deposit.refunded.v1',
  'Some or all of a captured deposit was refunded.',
  Type.Object({ ...DepositEvent, refundedCents: Cents, totalRefundedCents: Cents, reason: Type.String() }),
);
export const DepositFailed = defineEvent(
  'evt.payments.deposit.failed.v1',
  'The card was declined or the payment failed.',
  Type.Object({ ...DepositEvent, reason: Type.String(), code: Type.Union([Type.String(), Type.Null()]) }),
);

// ---------------------------------------------------------------------------------------------------
// Lead charges: a plumber who bought a lead (dispatch's `evt.dispatch.lead.charging.v1`) is charged
// off-session on their card on file, once per (lead, plumber), whatever is redelivered or retried.

export const LeadChargeStatus = Type.Union([
  Type.Literal('succeeded'),
  Type.Literal('failed'),
  Type.Literal('refunded'),
]);
export type LeadChargeStatus = Static<typeof LeadChargeStatus>;

export const LeadCharge = Type.Object({
  leadId: Uuid,
  providerId: Uuid,
  paymentIntentId: Type.Union([Type.String(), Type.Null()]),
  status: LeadChargeStatus,
  amountCents: Cents,
  code: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
});
export type LeadCharge = Static<typeof LeadCharge>;

export const LeadChargeList = defineEndpoint(
  'svc.payments.lead_charge.list',
  'Every charge attempted for a lead (one per plumber it was charged to), oldest first.',
  Type.Object({ leadId: Uuid }),
  Type.Object({ items: Type.Array(LeadCharge) }),
);

const LeadChargeEvent = {
  leadId: Uuid,
  providerId: Uuid,
  paymentIntentId: Type.Union([Type.String(), Type.Null()]),
  amountCents: Cents,
  /** Which charge of the lead this answers (dispatch's `chargeAttempt`). */
  chargeAttempt: Type.Integer({ minimum: 0 }),
};

export const LeadChargeSucceeded = defineEvent(
  'evt.payments.lead_charge.succeeded.v1',
  "The buyer's card was charged the lead's price (off-session PaymentIntent, succeeded).",
  Type.Object(LeadChargeEvent),
);

export const LeadChargeFailed = defineEvent(
  'evt.payments.lead_charge.failed.v1',
  "The buyer's card could not be charged: `code` is Stripe's decline code or error code (card_declined, insufficient_funds, authentication_required, …) or `no_card`. Nothing was charged; for a card error their card status became needs_update and a new card link is sent.",
  Type.Object({ ...LeadChargeEvent, code: Type.String(), message: Type.String() }),
);

export const LeadChargeRefunded = defineEvent(
  'evt.payments.lead_charge.refunded.v1',
  'A lead charge was refunded in full (dispatch voided it: the lead was not theirs to buy any more).',
  Type.Object({ ...LeadChargeEvent, reason: Type.String() }),
);

// ---------------------------------------------------------------------------------------------------
// Providers' cards on file (plumbers buy leads with a card saved through a SetupIntent).

/** Where a provider's card on file stands: none yet, saved (chargeable off-session), or declined and due for a new one. */
export const CardStatus = Type.Union([
  Type.Literal('none'),
  Type.Literal('saved'),
  Type.Literal('needs_update'),
]);
export type CardStatus = Static<typeof CardStatus>;

export const ProviderCardUpdated = defineEvent(
  'evt.payments.provider.card_updated.v1',
  "A provider's card on file changed: saved (with brand and last 4), or in need of an update after a failed charge. `at` orders the updates: a consumer keeps the newest and ignores an older one delivered late.",
  Type.Object({
    providerId: Uuid,
    stripeCustomerId: Type.String({ minLength: 1, maxLength: 255 }),
    status: CardStatus,
    brand: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
    last4: Type.Union([Type.String({ pattern: '^[0-9]{4}$' }), Type.Null()]),
    at: Timestamp,
  }),
);

/** A provider's card on file as payments knows it. */
export const ProviderCard = Type.Object({
  status: CardStatus,
  brand: Type.Union([Type.String({ maxLength: 40 }), Type.Null()]),
  last4: Type.Union([Type.String({ pattern: '^[0-9]{4}$' }), Type.Null()]),
});
export type ProviderCard = Static<typeof ProviderCard>;

/** A card link's secret: the last segment of its URL (only its SHA-256 is stored). */
export const CardLinkToken = Type.String({ pattern: '^[A-Za-z0-9_-]{20,100}$' });

/** The answer to a card link nobody issued (payments and the gateway, for a token of the wrong shape). */
export const cardLinkNotFound = (): AppError =>
  notFound(
    'CARD_LINK_NOT_FOUND',
    'This card link is not valid. Open the whole link from your text or email, or ask us for a new one.',
  );

const CardLinkRecipient = {
  providerId: Uuid,
  firstName: Type.String({ minLength: 1, maxLength: 60 }),
  email: Type.String({ minLength: 3, maxLength: 254 }),
  phone: E164,
};

export const ProviderCardLink = defineEndpoint(
  'svc.payments.provider.card_link',
  "Send a provider a single-use link (7 days) to save their card: creates their Stripe customer once, supersedes their older unused links, and announces the link (card_link_created) for messaging to deliver. The URL ends with the link's token.",
  Type.Object(CardLinkRecipient),
  Type.Object({ url: Type.String(), expiresAt: Timestamp }),
);

export const ProviderCardSession = defineEndpoint(
  'svc.payments.provider.card_session',
  "Open a card link: the SetupIntent (usage off_session) for the provider's Stripe customer, to confirm in the browser. An unknown token is 404 CARD_LINK_NOT_FOUND; a used, expired or superseded one 410 CARD_LINK_EXPIRED (details.reason; details.card when it was used).",
  Type.Object({ token: CardLinkToken }),
  Type.Object({
    setupIntentId: Type.String(),
    clientSecret: Type.String(),
    plumber: Type.Object({ firstName: Type.String() }),
    mode: Type.Union([Type.Literal('stripe'), Type.Literal('emulator')]),
    publishableKey: Type.Optional(Type.String()),
    expiresAt: Timestamp,
  }),
);

export const ProviderCardComplete = defineEndpoint(
  'svc.payments.provider.card_complete',
  "Save the card once the link's SetupIntent succeeded (the same fold as the setup_intent.succeeded webhook): the card becomes the customer's default payment method. Idempotent; 409 CARD_NOT_CONFIRMED before the card is confirmed.",
  Type.Object({ token: CardLinkToken }),
  Type.Object({ card: ProviderCard }),
);

export const ProviderCardTestConfirm = defineEndpoint(
  'svc.payments.provider.card_test_confirm',
  "Emulator mode only: confirm a card link's SetupIntent with a Stripe test payment method (else 404 NOT_AVAILABLE; a decline is 402 CARD_DECLINED).",
  Type.Object({ token: CardLinkToken, paymentMethod: Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,100}$' }) }),
  Type.Object({ setupIntentId: Type.String(), status: Type.String() }),
);

export const ProviderCardLinkCreated = defineEvent(
  'evt.payments.provider.card_link_created.v1',
  'A provider was given a new link to save their card; messaging sends it by SMS and email.',
  Type.Object({ ...CardLinkRecipient, url: Type.String(), expiresAt: Timestamp }),
);
