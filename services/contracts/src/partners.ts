/**
 * Partners (lead vendors) as operators run them: their profile, payout and webhook, live stats, and
 * every webhook delivery. Owned by intake. A partner with a webhook URL gets every outcome of its
 * leads POSTed, signed like Stripe's webhooks:
 *
 *   Trades-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * retried with back-off on anything but a 2xx (or no answer), each attempt recorded.
 */
import Type, { type Static } from 'typebox';
import { Cents, Cursor, Limit, Page, Timestamp, Uuid } from './common.ts';
import { defineEndpoint } from './define.ts';
import { LeadStatus, Partner, PartnerStatus } from './intake.ts';

export const PARTNER_SIGNATURE_HEADER = 'Trades-Signature';

export const PartnerUpdate = defineEndpoint(
  'svc.intake.partner.update',
  'Change a partner: name, contact, status (suspended: its keys stop working at once), rate limit, payout per accepted lead (null clears it), webhook URL (http(s); null removes it). 404 PARTNER_NOT_FOUND, 400 INVALID_WEBHOOK_URL.',
  Type.Object(
    {
      id: Uuid,
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 120 })),
      email: Type.Optional(Type.Union([Type.String({ maxLength: 254 }), Type.Null()])),
      contactName: Type.Optional(Type.Union([Type.String({ maxLength: 120 }), Type.Null()])),
      phone: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Null()])),
      status: Type.Optional(PartnerStatus),
      rateLimitPerMinute: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
      payoutCentsPerLead: Type.Optional(
        Type.Union([Type.Integer({ minimum: 0, maximum: 1_000_000 }), Type.Null()]),
      ),
      webhookUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
      actor: Type.String({ minLength: 1, maxLength: 200 }),
    },
    { additionalProperties: false },
  ),
  Partner,
);

export const PartnerWebhookSecretRotate = defineEndpoint(
  'svc.intake.partner.webhook_secret_rotate',
  'A new webhook signing secret (whsec_…), in this reply only; the old one stops signing at once.',
  Type.Object({ id: Uuid, actor: Type.String({ minLength: 1, maxLength: 200 }) }),
  Type.Object({ secret: Type.String() }),
);

export const WebhookOutcome = Type.Union([
  Type.Literal('accepted'),
  Type.Literal('sold'),
  Type.Literal('unsold'),
  Type.Literal('credited'),
]);
export type WebhookOutcome = Static<typeof WebhookOutcome>;

/** The JSON body POSTed to a partner's webhook. */
export const PartnerWebhookBody = Type.Object({
  id: Uuid,
  type: Type.Union([
    Type.Literal('lead.accepted'),
    Type.Literal('lead.sold'),
    Type.Literal('lead.unsold'),
    Type.Literal('lead.credited'),
  ]),
  createdAt: Timestamp,
  data: Type.Object({
    leadId: Uuid,
    externalId: Type.Union([Type.String(), Type.Null()]),
    status: LeadStatus,
    priceCents: Cents,
    creditedCents: Cents,
  }),
});
export type PartnerWebhookBody = Static<typeof PartnerWebhookBody>;

export const WebhookDeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
]);

export const WebhookDelivery = Type.Object({
  id: Uuid,
  partnerId: Uuid,
  leadId: Uuid,
  outcome: WebhookOutcome,
  url: Type.String(),
  /** pending: being tried (again at nextAttemptAt); delivered: a 2xx came back; failed: given up. */
  status: WebhookDeliveryStatus,
  attempts: Type.Integer({ minimum: 0 }),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  deliveredAt: Type.Union([Timestamp, Type.Null()]),
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const PartnerDeliveries = defineEndpoint(
  'svc.intake.partner.deliveries',
  "A partner's webhook deliveries, newest first (keyset), optionally one status.",
  Type.Object({
    partnerId: Uuid,
    status: Type.Optional(WebhookDeliveryStatus),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  }),
  Page(WebhookDelivery),
);

export const PartnerDeliveryRetry = defineEndpoint(
  'svc.intake.partner.delivery_retry',
  'Send a delivery again now (an operator, after the partner fixed their endpoint).',
  Type.Object({ partnerId: Uuid, deliveryId: Uuid, actor: Type.String({ minLength: 1, maxLength: 200 }) }),
  WebhookDelivery,
);

export const PartnerStats = Type.Object({
  partnerId: Uuid,
  from: Type.Union([Timestamp, Type.Null()]),
  to: Type.Union([Timestamp, Type.Null()]),
  /** Every lead it posted, test keys excepted. */
  posted: Type.Integer({ minimum: 0 }),
  accepted: Type.Integer({ minimum: 0 }),
  rejected: Type.Object({
    invalid: Type.Integer({ minimum: 0 }),
    duplicate: Type.Integer({ minimum: 0 }),
    notServed: Type.Integer({ minimum: 0 }),
  }),
  sold: Type.Integer({ minimum: 0 }),
  unsold: Type.Integer({ minimum: 0 }),
  credited: Type.Integer({ minimum: 0 }),
  /** Sold leads' prices less credits. */
  revenueCents: Type.Integer(),
  creditedCents: Cents,
  /** Accepted leads × payout per lead. */
  payoutCents: Cents,
});
export type PartnerStats = Static<typeof PartnerStats>;

export const PartnerStatsGet = defineEndpoint(
  'svc.intake.partner.stats',
  "A partner's live stats over a period (default: all time).",
  Type.Object({ id: Uuid, from: Type.Optional(Timestamp), to: Type.Optional(Timestamp) }),
  PartnerStats,
);
