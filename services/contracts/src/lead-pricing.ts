/**
 * The lead price table (service × urgency, optionally per ZIP prefix: the longest matching prefix wins)
 * as operators edit it, every change audited, and the leads' analytics. Owned by intake; a price applies
 * to leads accepted after the change.
 */
import Type, { type Static } from 'typebox';
import { Cents, Cursor, Limit, Page, ServiceCode, Timestamp } from './common.ts';
import { defineEndpoint } from './define.ts';
import { LeadSource, LeadUrgency } from './intake.ts';

export const ZipPrefix = Type.String({
  pattern: '^[0-9]{1,5}$',
  description: '1 to 5 leading digits of a ZIP',
});
const Actor = Type.String({ minLength: 1, maxLength: 200 });

export const LeadPrice = Type.Object({
  serviceCode: ServiceCode,
  serviceName: Type.String(),
  urgency: LeadUrgency,
  /** null: the base price of the service and urgency, anywhere. */
  zipPrefix: Type.Union([ZipPrefix, Type.Null()]),
  priceCents: Cents,
  updatedAt: Type.Union([Timestamp, Type.Null()]),
  updatedBy: Type.Union([Type.String(), Type.Null()]),
});
export type LeadPrice = Static<typeof LeadPrice>;

export const LeadPriceList = defineEndpoint(
  'svc.intake.lead_price.list',
  'The whole price table: every service × urgency base price and every ZIP-prefix price.',
  Type.Object({}),
  Type.Object({ items: Type.Array(LeadPrice) }),
);

export const LeadPriceSet = defineEndpoint(
  'svc.intake.lead_price.set',
  'Set one price (creates a ZIP-prefix row or changes any row); audited with the operator. 400 UNKNOWN_SERVICE for a code outside the plumbing catalogue.',
  Type.Object({
    serviceCode: ServiceCode,
    urgency: LeadUrgency,
    zipPrefix: Type.Union([ZipPrefix, Type.Null()]),
    priceCents: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
    actor: Actor,
  }),
  LeadPrice,
);

export const LeadPriceRemove = defineEndpoint(
  'svc.intake.lead_price.remove',
  'Remove a ZIP-prefix price (the base price applies there again); a base price (zipPrefix null) cannot be removed (400 BASE_PRICE_REQUIRED); audited.',
  Type.Object({
    serviceCode: ServiceCode,
    urgency: LeadUrgency,
    /** null names the base price, which intake refuses to remove (the rule lives in one place). */
    zipPrefix: Type.Union([ZipPrefix, Type.Null()]),
    actor: Actor,
  }),
  Type.Object({ removed: Type.Boolean() }),
);

export const LeadPriceChange = Type.Object({
  id: Type.String(),
  serviceCode: ServiceCode,
  urgency: LeadUrgency,
  zipPrefix: Type.Union([ZipPrefix, Type.Null()]),
  /** null: the row was created. */
  oldPriceCents: Type.Union([Cents, Type.Null()]),
  /** null: the row was removed. */
  newPriceCents: Type.Union([Cents, Type.Null()]),
  actor: Type.String(),
  at: Timestamp,
});
export type LeadPriceChange = Static<typeof LeadPriceChange>;

export const LeadPriceHistory = defineEndpoint(
  'svc.intake.lead_price.history',
  'Every change to the price table, newest first (keyset).',
  Type.Object({ cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) }),
  Page(LeadPriceChange),
);

// ---------------------------------------------------------------------------------------------------
// Analytics

const Count = Type.Integer({ minimum: 0 });

export const LeadAnalytics = Type.Object({
  from: Timestamp,
  to: Timestamp,
  funnel: Type.Object({
    /** Every lead posted (form and partners, test keys excepted), rejected ones included. */
    received: Count,
    accepted: Count,
    offered: Count,
    sold: Count,
    completed: Count,
    credited: Count,
  }),
  rejected: Type.Object({ invalid: Count, duplicate: Count, notServed: Count }),
  bySource: Type.Array(
    Type.Object({
      source: LeadSource,
      partnerId: Type.Union([Type.String(), Type.Null()]),
      partnerName: Type.Union([Type.String(), Type.Null()]),
      received: Count,
      accepted: Count,
      sold: Count,
      revenueCents: Type.Integer(),
    }),
  ),
  byService: Type.Array(
    Type.Object({
      serviceCode: ServiceCode,
      serviceName: Type.String(),
      received: Count,
      accepted: Count,
      sold: Count,
      revenueCents: Type.Integer(),
    }),
  ),
  byDay: Type.Array(
    Type.Object({
      day: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }),
      received: Count,
      accepted: Count,
      sold: Count,
      completed: Count,
      revenueCents: Type.Integer(),
      creditedCents: Cents,
    }),
  ),
  /** From intake's acceptance to the sale (the charge succeeding), over leads sold in the period. */
  timeToSale: Type.Object({
    count: Count,
    p50Seconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    p90Seconds: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  }),
  revenueCents: Type.Integer(),
  creditedCents: Cents,
});
export type LeadAnalytics = Static<typeof LeadAnalytics>;

export const LeadAnalyticsGet = defineEndpoint(
  'svc.intake.lead.analytics',
  'The leads funnel over a period (default: the last 30 days), days counted in `timeZone` (default UTC).',
  Type.Object({
    from: Type.Optional(Timestamp),
    to: Type.Optional(Timestamp),
    timeZone: Type.Optional(Type.String({ maxLength: 64 })),
  }),
  LeadAnalytics,
);
