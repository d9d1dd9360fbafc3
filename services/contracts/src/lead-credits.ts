/**
 * Credits (returns) of sold leads. A buyer asks within 7 days of the sale, by SMS (`CREDIT <code>
 * <reason>`) or through the signed link in the sale's email; an operator credits from the console.
 * Dispatch owns the request and its decision: objective reasons are checked against facts it holds
 * (the homeowner's confirmation SMS bounced, the homeowner replied NO, a duplicate sold to the same
 * plumber, the ZIP or service outside what the plumber bought at the moment of sale) and approved at
 * once; anything else, or any request from a plumber whose return rate is above the review rate, waits
 * for an operator. Payments refunds an approved credit on the sale's charge (one Stripe refund per
 * credit, idempotency key `lead-credit:<creditId>`); messaging tells the plumber by SMS and email.
 */
import Type, { type Static } from 'typebox';
import { Cents, Cursor, E164, Limit, Page, Timestamp, Uuid } from './common.ts';
import { defineEndpoint, defineEvent } from './define.ts';
import { LeadUrgency } from './intake.ts';
import { ZipCode } from './registry.ts';

export const CREDIT_REASONS = [
  'wrong_number',
  'duplicate',
  'outside_area',
  'not_my_service',
  'not_real',
  'could_not_reach',
  'other',
] as const;
export const CreditReason = Type.Union([
  Type.Literal('wrong_number'),
  Type.Literal('duplicate'),
  Type.Literal('outside_area'),
  Type.Literal('not_my_service'),
  Type.Literal('not_real'),
  Type.Literal('could_not_reach'),
  Type.Literal('other'),
]);
export type CreditReason = (typeof CREDIT_REASONS)[number];

/** How each reason reads to a person (console, emails, the credit page). */
export const CREDIT_REASON_LABELS: Record<CreditReason, string> = {
  wrong_number: 'Wrong or disconnected number',
  duplicate: 'Duplicate of a lead I bought',
  outside_area: 'Outside my area',
  not_my_service: 'Not a service I buy',
  not_real: 'Not a real request',
  could_not_reach: 'Could not reach after trying',
  other: 'Other',
};

/** Days after the sale a buyer may still ask for a credit. */
export const CREDIT_WINDOW_DAYS = 7;

/**
 * review: waiting for an operator; approved: decided, the refund is on its way; credited: refunded
 * (`refundId`); denied: an operator said no (`decisionNote`); failed: Stripe refused the refund.
 */
export const CreditStatus = Type.Union([
  Type.Literal('review'),
  Type.Literal('approved'),
  Type.Literal('credited'),
  Type.Literal('denied'),
  Type.Literal('failed'),
]);
export type CreditStatus = Static<typeof CreditStatus>;

/** Where the request came from: the buyer by SMS or email link, an operator, or the homeowner's NO. */
export const CreditChannel = Type.Union([
  Type.Literal('sms'),
  Type.Literal('email'),
  Type.Literal('console'),
  Type.Literal('homeowner'),
]);
export type CreditChannel = Static<typeof CreditChannel>;

export const LeadCredit = Type.Object({
  id: Uuid,
  leadId: Uuid,
  leadCode: Type.String(),
  serviceName: Type.String(),
  zipCode: ZipCode,
  priceCents: Cents,
  plumberId: Uuid,
  plumberName: Type.String(),
  plumberPhone: E164,
  plumberEmail: Type.String(),
  reason: CreditReason,
  /** The plumber's own words (the rest of the SMS, the note on the page); null when none. */
  note: Type.Union([Type.String(), Type.Null()]),
  channel: CreditChannel,
  status: CreditStatus,
  amountCents: Cents,
  /** Approved by the automatic checks, with no operator. */
  automatic: Type.Boolean(),
  /** What the automatic check found, as a sentence ("the confirmation SMS came back undelivered (30003)"). */
  evidence: Type.Union([Type.String(), Type.Null()]),
  /** The plumber's return rate (last 30 days) when they asked, and whether it put them under review. */
  returnRate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()]),
  flagged: Type.Boolean(),
  requestedBy: Type.String({ description: 'plumber id, operator email or "homeowner"' }),
  decidedBy: Type.Union([Type.String(), Type.Null()]),
  decisionNote: Type.Union([Type.String(), Type.Null()]),
  refundId: Type.Union([Type.String(), Type.Null()]),
  failure: Type.Union([Type.String(), Type.Null()]),
  requestedAt: Timestamp,
  decidedAt: Type.Union([Timestamp, Type.Null()]),
  creditedAt: Type.Union([Timestamp, Type.Null()]),
});
export type LeadCredit = Static<typeof LeadCredit>;

/**
 * A credit as its buyer sees it behind the sale email's link (no session: whoever holds the link): what
 * they asked, where it stands and the operator's note. Not the operator who decided, the return rate or
 * the flag, the Stripe failure or the plumber's contact details.
 */
export const BuyerCredit = Type.Object({
  id: LeadCredit.properties.id,
  leadCode: LeadCredit.properties.leadCode,
  reason: LeadCredit.properties.reason,
  note: LeadCredit.properties.note,
  channel: LeadCredit.properties.channel,
  status: LeadCredit.properties.status,
  amountCents: LeadCredit.properties.amountCents,
  automatic: LeadCredit.properties.automatic,
  decisionNote: LeadCredit.properties.decisionNote,
  requestedAt: LeadCredit.properties.requestedAt,
  decidedAt: LeadCredit.properties.decidedAt,
  creditedAt: LeadCredit.properties.creditedAt,
});
export type BuyerCredit = Static<typeof BuyerCredit>;

const Actor = Type.String({ minLength: 1, maxLength: 200 });
const Note = Type.String({ maxLength: 1000 });

/** `<leadId>.<HMAC-SHA256(DISPATCH_LINK_SECRET, "lead-credit:<leadId>:<plumberId>"), base64url>`. */
export const CreditLinkToken = Type.String({
  minLength: 40,
  maxLength: 200,
  pattern: '^[0-9a-f-]{36}\\.[A-Za-z0-9_-]{20,100}$',
});

export const CreditLinkView = Type.Object({
  leadCode: Type.String(),
  serviceName: Type.String(),
  urgency: LeadUrgency,
  zipCode: ZipCode,
  priceCents: Cents,
  creditedCents: Cents,
  soldAt: Timestamp,
  /** The last moment a credit can be asked for (7 days after the sale). */
  deadline: Timestamp,
  /** Whether a request can be sent now (inside the window, not fully credited, none waiting). */
  open: Type.Boolean(),
  plumber: Type.Object({ firstName: Type.String() }),
  /** This plumber's requests for this lead, newest first. */
  credits: Type.Array(BuyerCredit),
});
export type CreditLinkView = Static<typeof CreditLinkView>;

export const CreditLinkGet = defineEndpoint(
  'svc.dispatch.credit.link_get',
  'What the credit page shows for a signed credit link (404 CREDIT_LINK_NOT_FOUND for a token dispatch did not sign).',
  Type.Object({ token: CreditLinkToken }),
  CreditLinkView,
);

export const CreditLinkRequest = defineEndpoint(
  'svc.dispatch.credit.link_request',
  'The buyer asks for a credit from the link in the sale email: checked at once like an SMS request. 409 CREDIT_WINDOW_CLOSED after 7 days, CREDIT_PENDING while one waits, ALREADY_CREDITED when nothing is left to credit.',
  Type.Object({ token: CreditLinkToken, reason: CreditReason, note: Type.Optional(Note) }),
  BuyerCredit,
);

export const LeadCreditCreate = defineEndpoint(
  'svc.dispatch.lead.credit',
  "An operator credits a sold lead now (amount up to what is left of the price; 409 ALREADY_CREDITED, LEAD_NOT_SOLD): approved at once and refunded on the sale's charge.",
  Type.Object({
    leadId: Uuid,
    amountCents: Type.Integer({ minimum: 1 }),
    reason: CreditReason,
    note: Type.Optional(Note),
    actor: Actor,
  }),
  LeadCredit,
);

export const CreditDecide = defineEndpoint(
  'svc.dispatch.credit.decide',
  'An operator approves (optionally for a smaller amount) or denies a credit waiting for review, with a note. 409 CREDIT_ALREADY_DECIDED.',
  Type.Object({
    id: Uuid,
    decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
    amountCents: Type.Optional(Type.Integer({ minimum: 1 })),
    note: Type.Optional(Note),
    actor: Actor,
  }),
  LeadCredit,
);

export const CreditList = defineEndpoint(
  'svc.dispatch.credit.list',
  'Credits, newest first (keyset on requested_at, id): the queue is status=review; the history is everything else.',
  Type.Object({
    status: Type.Optional(CreditStatus),
    plumberId: Type.Optional(Uuid),
    leadId: Type.Optional(Uuid),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(LeadCredit),
);

export const CreditGet = defineEndpoint(
  'svc.dispatch.credit.get',
  'One credit (404 CREDIT_NOT_FOUND).',
  Type.Object({ id: Uuid }),
  LeadCredit,
);

// ---------------------------------------------------------------------------------------------------
// Events

const CreditEvent = Type.Object({ credit: LeadCredit });

export const CreditRequested = defineEvent(
  'evt.dispatch.lead.credit_requested.v1',
  'A credit was asked for (or given by an operator). `credit.status` is approved when the automatic checks (or the operator) approved it at once, review when it waits for an operator: messaging tells the plumber which.',
  CreditEvent,
);

export const CreditApproved = defineEvent(
  'evt.dispatch.lead.credit_approved.v1',
  "A credit was approved: payments refunds `credit.amountCents` on the sale's charge (idempotency key lead-credit:<creditId>).",
  CreditEvent,
);

export const CreditDenied = defineEvent(
  'evt.dispatch.lead.credit_denied.v1',
  'An operator denied a credit (`credit.decisionNote` says why): messaging tells the plumber.',
  CreditEvent,
);

export const CreditRefunded = defineEvent(
  'evt.dispatch.lead.credit_refunded.v1',
  "The credit's refund went through: the plumber is told by SMS and email; intake counts it for the lead's partner and posts `lead.credited` to the partner's webhook.",
  Type.Object({
    credit: LeadCredit,
    /** Everything credited on the lead so far, this credit included. */
    leadCreditedCents: Cents,
    partnerId: Type.Union([Uuid, Type.Null()]),
  }),
);

export const CreditRequestRejected = defineEvent(
  'evt.dispatch.lead.credit_rejected.v1',
  'A credit asked for by SMS could not be taken (no such lead of theirs, past 7 days, one already waiting, nothing left to credit): messaging texts `message` back.',
  Type.Object({
    providerId: Uuid,
    providerPhone: E164,
    leadCode: Type.Union([Type.String(), Type.Null()]),
    code: Type.String({
      description: 'NO_SUCH_LEAD, CREDIT_WINDOW_CLOSED, CREDIT_PENDING, ALREADY_CREDITED',
    }),
    message: Type.String(),
  }),
);

const LeadChargeCreditEvent = {
  creditId: Uuid,
  leadId: Uuid,
  providerId: Uuid,
  amountCents: Cents,
  paymentIntentId: Type.Union([Type.String(), Type.Null()]),
};

export const LeadChargeCredited = defineEvent(
  'evt.payments.lead_charge.credited.v1',
  "A credit was refunded on the lead's charge (`refundId`, Stripe's re_…): dispatch marks the credit credited.",
  Type.Object({ ...LeadChargeCreditEvent, refundId: Type.String() }),
);

export const LeadChargeCreditFailed = defineEvent(
  'evt.payments.lead_charge.credit_failed.v1',
  "Stripe refused a credit's refund for good (no succeeded charge to refund, more than is left, …): dispatch marks the credit failed for an operator.",
  Type.Object({ ...LeadChargeCreditEvent, code: Type.String(), message: Type.String() }),
);

// ---------------------------------------------------------------------------------------------------
// The homeowner's side of a sale (messaging): signals dispatch's automatic checks use.

export const HomeownerReplied = defineEvent(
  'evt.messaging.lead.homeowner_replied.v1',
  "The homeowner answered the sale's confirmation SMS with NO (they never asked): dispatch credits the sale.",
  Type.Object({
    leadId: Uuid,
    reply: Type.Literal('NO'),
    messageSid: Type.String(),
    receivedAt: Timestamp,
  }),
);

export const HomeownerUnreachable = defineEvent(
  'evt.messaging.lead.homeowner_unreachable.v1',
  "The sale's confirmation SMS to the homeowner came back undelivered or failed with an invalid-number code from Twilio (21211, 21614, 30003, 30005, 30006): their number is dead.",
  Type.Object({
    leadId: Uuid,
    messageSid: Type.String(),
    status: Type.Union([Type.Literal('undelivered'), Type.Literal('failed')]),
    errorCode: Type.String(),
    at: Timestamp,
  }),
);
