/**
 * The lead sale: dispatch offers a plumbing lead (from `evt.intake.lead.accepted.v1`) in waves through
 * the same offer machinery as jobs, sells it to the first plumber who answers YES (by SMS, or through
 * the offer email's accept link) and whose card payments charges, exactly once. Owned by dispatch.
 */
import Type, { type Static } from 'typebox';
import { Cents, E164, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent, type EventContract } from './define.ts';
import { OfferStatus } from './dispatch.ts';
import { LeadSource, LeadUrgency } from './intake.ts';
import { PlumberCapsFields, ZipCode } from './registry.ts';

export const LEAD_SALE_STATES = [
  'NEW',
  'DISPATCHING',
  'OFFERED',
  'CHARGING',
  'ASSIGNED',
  'COMPLETED',
  'UNSOLD',
  'CREDITED',
] as const;
export const LeadSaleState = Type.Union([
  Type.Literal('NEW'),
  Type.Literal('DISPATCHING'),
  Type.Literal('OFFERED'),
  Type.Literal('CHARGING'),
  Type.Literal('ASSIGNED'),
  Type.Literal('COMPLETED'),
  Type.Literal('UNSOLD'),
  Type.Literal('CREDITED'),
]);
export type LeadSaleState = (typeof LEAD_SALE_STATES)[number];

/** The homeowner behind a lead: only the buyer (after the charge) and operators ever see this. */
export const Homeowner = Type.Object({
  firstName: Type.String(),
  lastName: Type.String(),
  email: Type.String(),
  phone: E164,
});
export type Homeowner = Static<typeof Homeowner>;

/** The plumber a lead is being charged to (CHARGING) or was sold to (ASSIGNED, COMPLETED). */
export const LeadBuyer = Type.Object({
  id: Uuid,
  name: Type.String(),
  phone: E164,
  email: Type.String(),
});
export type LeadBuyer = Static<typeof LeadBuyer>;

export const LeadSale = Type.Object({
  id: Uuid,
  code: Type.String({ description: 'Short code plumbers quote by SMS, e.g. 4821' }),
  state: LeadSaleState,
  serviceCode: Type.String(),
  serviceName: Type.String(),
  urgency: LeadUrgency,
  zipCode: ZipCode,
  priceCents: Cents,
  homeowner: Homeowner,
  description: Type.Union([Type.String(), Type.Null()]),
  source: LeadSource,
  partnerId: Type.Union([Uuid, Type.Null()]),
  wave: Type.Integer({ minimum: 0 }),
  buyer: Type.Union([LeadBuyer, Type.Null()]),
  chargeAttempt: Type.Integer({ minimum: 0, description: 'How many charges were started for this lead' }),
  /** When the current buyer's charge started (the moment of sale caps count from); null while unsold. */
  soldAt: Type.Union([Timestamp, Type.Null()]),
  /** Refunded to the buyer by credits so far; the lead is CREDITED when this reaches the price. */
  creditedCents: Cents,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type LeadSale = Static<typeof LeadSale>;

export const LeadTimelineEntry = Type.Object({
  state: LeadSaleState,
  at: Timestamp,
  cause: Type.String(),
  actor: Type.String(),
});

export const LeadOffer = Type.Object({
  id: Uuid,
  plumberId: Uuid,
  plumberName: Type.String(),
  wave: Type.Integer({ minimum: 1 }),
  status: OfferStatus,
  reason: Type.Union([Type.String(), Type.Null()]),
  distanceKm: Type.Number(),
  sentAt: Timestamp,
  expiresAt: Timestamp,
  respondedAt: Type.Union([Timestamp, Type.Null()]),
  /** When their YES arrived while the lead was being charged to someone ahead of them (in line). */
  yesAt: Type.Union([Timestamp, Type.Null()]),
});
export type LeadOffer = Static<typeof LeadOffer>;

export const LeadSaleDetail = Type.Intersect([
  LeadSale,
  Type.Object({ timeline: Type.Array(LeadTimelineEntry), offers: Type.Array(LeadOffer) }),
]);
export type LeadSaleDetail = Static<typeof LeadSaleDetail>;

const Actor = Type.String({
  minLength: 1,
  maxLength: 200,
  description: 'operator email, system or provider id',
});

/** `<offerId>.<HMAC-SHA256(DISPATCH_LINK_SECRET, offerId), base64url>`: the offer email's accept link. */
export const LeadOfferToken = Type.String({
  minLength: 40,
  maxLength: 200,
  pattern: '^[0-9a-f-]{36}\\.[A-Za-z0-9_-]{20,100}$',
});

export const LeadGet = defineEndpoint(
  'svc.dispatch.lead.get',
  "A lead's sale: state, buyer, timeline and every offer by wave (LEAD_NOT_FOUND when dispatch has not seen it).",
  Type.Object({ id: Uuid }),
  LeadSaleDetail,
);

export const LeadAssign = defineEndpoint(
  'svc.dispatch.lead.assign',
  "Sell a lead now to a named plumber (an operator): same rules as a YES, the plumber's card is charged and the lead is ASSIGNED when the charge succeeds. Answers with the lead CHARGING; 409 LEAD_NOT_FOR_SALE when it is sold or being charged, PLUMBER_NOT_ACTIVE / NO_CARD when the plumber cannot buy.",
  Type.Object({ id: Uuid, plumberId: Uuid, actor: Actor }),
  LeadSaleDetail,
);

export const LeadComplete = defineEndpoint(
  'svc.dispatch.lead.complete',
  'Mark a sold lead COMPLETED (an operator; the buyer does it by texting DONE <code>). 409 INVALID_TRANSITION unless ASSIGNED.',
  Type.Object({ id: Uuid, actor: Actor }),
  LeadSaleDetail,
);

/** What the accept page shows before the button is pressed (GET never acts: mail scanners prefetch links). */
export const LeadOfferView = Type.Object({
  offerId: Uuid,
  leadCode: Type.String(),
  serviceName: Type.String(),
  urgency: LeadUrgency,
  zipCode: ZipCode,
  priceCents: Cents,
  expiresAt: Timestamp,
  status: OfferStatus,
  /** Whether pressing accept now can still buy it (the offer is pending and the lead for sale). */
  open: Type.Boolean(),
  plumber: Type.Object({ firstName: Type.String() }),
});
export type LeadOfferView = Static<typeof LeadOfferView>;

export const LeadOfferGet = defineEndpoint(
  'svc.dispatch.lead.offer_get',
  'The offer behind an accept link, for the accept page. 404 LEAD_OFFER_NOT_FOUND for a token dispatch did not sign.',
  Type.Object({ token: LeadOfferToken }),
  LeadOfferView,
);

export const LeadAcceptOutcome = Type.Union([
  Type.Literal('charging'),
  Type.Literal('queued'),
  Type.Literal('rejected'),
]);

export const LeadOfferRejectReason = Type.Union([
  Type.Literal('lead_sold'),
  Type.Literal('offer_expired'),
  Type.Literal('offer_closed'),
  Type.Literal('no_pending_offer'),
  Type.Literal('wrong_lead_code'),
  Type.Literal('cap_reached'),
]);
export type LeadOfferRejectReason = Static<typeof LeadOfferRejectReason>;

export const LeadOfferAccept = defineEndpoint(
  'svc.dispatch.lead.offer_accept',
  "Accept a lead offer through its email link: exactly what `YES <code>` by SMS does. `charging`: the plumber's card is being charged; `queued`: someone ahead is being charged, they are next in line; `rejected` with a reason. 404 LEAD_OFFER_NOT_FOUND for a token dispatch did not sign.",
  Type.Object({ token: LeadOfferToken }),
  Type.Object({
    outcome: LeadAcceptOutcome,
    reason: Type.Optional(LeadOfferRejectReason),
    leadCode: Type.String(),
  }),
);

// ---------------------------------------------------------------------------------------------------
// Events

export const LeadSaleData = Type.Object({
  leadId: Uuid,
  leadCode: Type.String(),
  state: LeadSaleState,
  previousState: Type.Union([LeadSaleState, Type.Null()]),
  cause: Type.String(),
  actor: Type.String(),
  at: Timestamp,
  priceCents: Cents,
  serviceCode: Type.String(),
  serviceName: Type.String(),
  urgency: LeadUrgency,
  zipCode: ZipCode,
  homeowner: Homeowner,
  description: Type.Union([Type.String(), Type.Null()]),
  partnerId: Type.Union([Uuid, Type.Null()]),
  buyer: Type.Union([LeadBuyer, Type.Null()]),
  chargeAttempt: Type.Integer({ minimum: 0 }),
  /** CHARGING only: the key payments charges with, one per (lead, plumber): `lead-charge:<leadId>:<providerId>`. */
  idempotencyKey: Type.Optional(Type.String()),
  /** ASSIGNED only: the buyer's signed credit link token (the page is /lead-credit/<token>), for the sale email. */
  creditToken: Type.Optional(Type.String()),
  creditedCents: Type.Optional(Cents),
});
export type LeadSaleData = Static<typeof LeadSaleData>;

const leadEvent = (fact: string, description: string) =>
  defineEvent(`evt.dispatch.lead.${fact}.v1`, description, LeadSaleData);

export const LeadNew = leadEvent('new', 'Dispatch took an accepted lead for sale.');
export const LeadDispatching = leadEvent('dispatching', "Dispatch is choosing the lead's next wave.");
export const LeadOffered = leadEvent('offered', "A wave's lead offers are out.");
export const LeadCharging = leadEvent(
  'charging',
  "A plumber said YES (or an operator sold it to them): payments charges the buyer's card off-session with `idempotencyKey`.",
);
export const LeadAssigned = leadEvent(
  'assigned',
  'The charge succeeded: the lead is sold to `buyer` (messaging sends them the homeowner, and the homeowner their name).',
);
export const LeadCompleted = leadEvent(
  'completed',
  'The buyer texted DONE <code>, or an operator completed it.',
);
export const LeadUnsold = leadEvent('unsold', 'Nobody bought the lead after the last wave.');
export const LeadCredited = leadEvent(
  'credited',
  "The buyer was credited the lead's whole price (partial credits leave the state as it was; see credit_refunded).",
);

/** The event published when a lead enters each state. */
export const LEAD_EVENT_BY_STATE: Record<LeadSaleState, EventContract<typeof LeadSaleData>> = {
  NEW: LeadNew,
  DISPATCHING: LeadDispatching,
  OFFERED: LeadOffered,
  CHARGING: LeadCharging,
  ASSIGNED: LeadAssigned,
  COMPLETED: LeadCompleted,
  UNSOLD: LeadUnsold,
  CREDITED: LeadCredited,
};

const LeadOfferRef = {
  offerId: Uuid,
  leadId: Uuid,
  leadCode: Type.String(),
  providerId: Uuid,
  providerName: Type.String(),
  providerPhone: E164,
  providerEmail: Type.String(),
};

export const LeadOfferSent = defineEvent(
  'evt.dispatch.lead.offer_sent.v1',
  'A plumber was offered a lead: messaging texts it (YES <code>) and emails it with the accept link (`acceptToken`; the page is /lead-offer/<token>). Never the homeowner.',
  Type.Object({
    ...LeadOfferRef,
    wave: Type.Integer({ minimum: 1 }),
    serviceCode: Type.String(),
    serviceName: Type.String(),
    urgency: LeadUrgency,
    zipCode: ZipCode,
    priceCents: Cents,
    distanceKm: Type.Number(),
    expiresAt: Timestamp,
    acceptToken: LeadOfferToken,
  }),
);

export const LeadOfferClosed = defineEvent(
  'evt.dispatch.lead.offer_closed.v1',
  "A lead offer ended: ACCEPTED (bought), DECLINED, EXPIRED, CANCELED ('lead sold': `inLine` when they had said YES too and waited behind the buyer) or FAILED (their card did not go through, or the SMS was undeliverable).",
  Type.Object({
    ...LeadOfferRef,
    status: OfferStatus,
    reason: Type.String(),
    responseSeconds: Type.Union([Type.Number(), Type.Null()]),
    inLine: Type.Boolean(),
  }),
);

export const LeadOfferQueued = defineEvent(
  'evt.dispatch.lead.offer_queued.v1',
  'A plumber said YES while the lead was being charged to someone who answered first: they are next in line (`position`, 1 = next) and get it if that charge fails. Their offer stays pending.',
  Type.Object({ ...LeadOfferRef, position: Type.Integer({ minimum: 1 }) }),
);

export const LeadReplyRejected = defineEvent(
  'evt.dispatch.lead.reply_rejected.v1',
  "A plumber's YES (SMS or accept link) to a lead could not be applied; messaging tells them why.",
  Type.Object({
    providerId: Uuid,
    providerPhone: E164,
    channel: Type.Union([Type.Literal('sms'), Type.Literal('link')]),
    reason: LeadOfferRejectReason,
    leadId: Type.Union([Uuid, Type.Null()]),
    leadCode: Type.Union([Type.String(), Type.Null()]),
  }),
);

export const LeadChargeVoided = defineEvent(
  'evt.dispatch.lead.charge_voided.v1',
  'A charge succeeded for a lead that was not being charged to that plumber any more (never expected): payments refunds it at once.',
  Type.Object({ leadId: Uuid, providerId: Uuid, paymentIntentId: Type.String(), reason: Type.String() }),
);

// ---------------------------------------------------------------------------------------------------
// Caps: dispatch counts a plumber's sales (CHARGING, ASSIGNED, COMPLETED, CREDITED, by `soldAt`) in
// their time zone and refuses a sale that would take them over a cap, under the plumber's lock.

export const CapKind = Type.Union([
  Type.Literal('daily'),
  Type.Literal('weekly'),
  Type.Literal('monthly'),
  Type.Literal('monthly_spend'),
]);
export type CapKind = Static<typeof CapKind>;

export const PlumberCapReached = defineEvent(
  'evt.dispatch.lead.cap_reached.v1',
  'A sale took a plumber to one of their caps: they are offered no lead until `resetsAt`; messaging tells them by SMS.',
  Type.Object({
    providerId: Uuid,
    providerName: Type.String(),
    providerPhone: E164,
    providerEmail: Type.String(),
    cap: CapKind,
    limit: Type.Integer({ minimum: 1, description: 'The cap (cents for monthly_spend)' }),
    used: Type.Integer({ minimum: 0 }),
    resetsAt: Timestamp,
    timeZone: Type.String(),
  }),
);

export const PlumberLeadUsage = Type.Object({
  today: Type.Integer({ minimum: 0 }),
  thisWeek: Type.Integer({ minimum: 0 }),
  thisMonth: Type.Integer({ minimum: 0 }),
  spendThisMonthCents: Cents,
  /** The cap they are at now, if any (they are offered nothing until it resets). */
  atCap: Type.Union([CapKind, Type.Null()]),
});
export type PlumberLeadUsage = Static<typeof PlumberLeadUsage>;

export const PlumberLeadStats = Type.Object({
  plumberId: Uuid,
  offered: Type.Integer({ minimum: 0, description: 'Lead offers sent to them, last 30 days' }),
  bought: Type.Integer({ minimum: 0, description: 'Leads sold to them, last 30 days' }),
  credited: Type.Integer({ minimum: 0, description: 'Of those, credited (in whole or part)' }),
  acceptanceRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  medianReplySeconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  /** Credited ÷ bought over the last 30 days; null with no sale. */
  returnRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  /** Above DISPATCH_CREDIT_REVIEW_RATE: their credit requests go to an operator, never automatic. */
  flagged: Type.Boolean(),
  usage: PlumberLeadUsage,
});
export type PlumberLeadStats = Static<typeof PlumberLeadStats>;

export const PlumberLeadStatsGet = defineEndpoint(
  'svc.dispatch.plumber.lead_stats',
  "Per plumber: offers, purchases, credits, acceptance rate, median reply time and return rate (last 30 days) and their usage against caps (in their time zone). Caps and time zones come from the caller (the registry's plumber).",
  Type.Object({
    plumbers: Type.Array(Type.Object({ plumberId: Uuid, ...PlumberCapsFields }), { maxItems: 200 }),
  }),
  Type.Object({ items: Type.Array(PlumberLeadStats) }),
);
