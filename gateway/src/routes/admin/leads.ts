import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  Cursor,
  ErrorBody,
  intake,
  leads,
  Limit,
  messaging,
  payments,
  registry,
  ServiceCode,
  Timestamp,
  Uuid,
} from '@trades/contracts';
import type { FastifyInstance } from 'fastify';
import Type, { type Static } from 'typebox';
import { operatorOf } from '../../plugins/admin-auth.ts';
import { leadStatsOf } from './plumbers.ts';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

const LeadDetail = Type.Object({
  ...intake.LeadView.properties,
  offers: Type.Array(
    Type.Object({
      plumberId: Uuid,
      plumberName: Type.String(),
      wave: Type.Integer(),
      status: Type.String(),
      reason: Type.Union([Type.String(), Type.Null()]),
      sentAt: Timestamp,
      respondedAt: Type.Optional(Timestamp),
      yesAt: Type.Optional(Timestamp),
    }),
    { description: "The lead's offers by wave (empty until dispatch offers it)" },
  ),
  charge: Type.Optional(
    Type.Object({
      paymentIntentId: Type.Union([Type.String(), Type.Null()]),
      status: payments.LeadChargeStatus,
      amountCents: Type.Integer(),
      plumberId: Uuid,
      code: Type.Union([Type.String(), Type.Null()]),
    }),
  ),
  sale: Type.Optional(
    Type.Object(
      {
        code: Type.String(),
        state: leads.LeadSaleState,
        buyer: Type.Union([leads.LeadBuyer, Type.Null()]),
        chargeAttempt: Type.Integer(),
        timeline: Type.Array(leads.LeadTimelineEntry),
      },
      { description: "Dispatch's sale: its state, code, buyer and every step" },
    ),
  ),
  messages: Type.Array(messaging.Message, {
    description: 'Every SMS and email about the lead, newest first (empty when messaging did not answer)',
  }),
});
type LeadDetail = Static<typeof LeadDetail>;

const Sale = { 404: ErrorBody, 409: ErrorBody, ...Errors };

const PlumberForLead = Type.Object({
  ...registry.PlumberForLead.properties,
  usage: Type.Union([leads.PlumberLeadUsage, Type.Null()], {
    description:
      'What they bought today, this week and this month against their caps (null when dispatch does not answer)',
  }),
});

/** Plumbers the "sell to" autocomplete shows. */
const SELL_TO_LIMIT = 20;

/** Intake's lead joined with dispatch's sale (offers, timeline), payments' charges and messaging's SMS and emails. */
async function leadDetail(app: FastifyInstance, id: string): Promise<LeadDetail> {
  const lead = await app.callService(intake.LeadGet, { id });
  // Not offered yet (a test lead never is), or dispatch / payments not answering: intake's part stands alone.
  const partOrNothing = (error: unknown): null => {
    if (error instanceof AppError && (error.status === 404 || error.status === 503)) return null;
    throw error;
  };
  const sale = await app.callService(leads.LeadGet, { id }).catch(partOrNothing);
  const charges = sale
    ? ((await app.callService(payments.LeadChargeList, { leadId: id }).catch(partOrNothing))?.items ?? [])
    : [];
  const charge = charges.find((c) => c.status === 'succeeded') ?? charges.at(-1);
  // A messaging outage costs the page its messages, not the page.
  const messages = await app.callService(messaging.MessageList, { leadId: id, limit: 200 }).then(
    (page) => page.items,
    (error: unknown) => {
      if (error instanceof AppError && error.status >= 500) return [];
      throw error;
    },
  );
  return {
    ...lead,
    messages,
    offers: (sale?.offers ?? []).map((o) => ({
      plumberId: o.plumberId,
      plumberName: o.plumberName,
      wave: o.wave,
      status: o.status,
      reason: o.reason,
      sentAt: o.sentAt,
      ...(o.respondedAt !== null ? { respondedAt: o.respondedAt } : {}),
      ...(o.yesAt !== null ? { yesAt: o.yesAt } : {}),
    })),
    ...(charge
      ? {
          charge: {
            paymentIntentId: charge.paymentIntentId,
            status: charge.status,
            amountCents: charge.amountCents,
            plumberId: charge.providerId,
            code: charge.code,
          },
        }
      : {}),
    ...(sale
      ? {
          sale: {
            code: sale.code,
            state: sale.state,
            buyer: sale.buyer,
            chargeAttempt: sale.chargeAttempt,
            timeline: sale.timeline,
          },
        }
      : {}),
  };
}

/**
 * GET /api/admin/leads, GET /api/admin/leads/{id} (intake's lead, dispatch's sale and payments' charge),
 * POST …/{id}/assign (sell now) and POST …/{id}/complete.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/leads',
    {
      schema: {
        tags: ['admin'],
        summary: 'Leads, newest first, by status, service, urgency, ZIP, partner and period',
        querystring: Type.Object({
          status: Type.Optional(intake.LeadStatus),
          service: Type.Optional(ServiceCode),
          urgency: Type.Optional(intake.LeadUrgency),
          zip: Type.Optional(Type.String({ pattern: '^[0-9]{5}$' })),
          partnerId: Type.Optional(Uuid),
          from: Type.Optional(Timestamp),
          to: Type.Optional(Timestamp),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Limit),
        }),
        response: { 200: intake.LeadList.reply, ...Errors },
      },
    },
    async (request) => {
      const { service, zip, ...rest } = request.query;
      const filter = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
      return app.callService(intake.LeadList, {
        ...filter,
        ...(service !== undefined ? { serviceNeeded: service } : {}),
        ...(zip !== undefined ? { zipCode: zip } : {}),
      });
    },
  );

  app.get(
    '/leads/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One lead: homeowner, consent, price, source and timeline',
        params: Type.Object({ id: Uuid }),
        response: { 200: LeadDetail, 404: ErrorBody, ...Errors },
      },
    },
    async (request) => leadDetail(app, request.params.id),
  );

  app.post(
    '/leads/:id/assign',
    {
      schema: {
        tags: ['admin'],
        summary: 'Sell the lead now to a named plumber: their card is charged (same rules as a YES)',
        description:
          '409 LEAD_NOT_FOR_SALE when it is sold or being charged; PLUMBER_NOT_ACTIVE, NO_CARD when the plumber cannot buy; PLUMBER_AT_CAP when the lead would take them over a cap (the message names it and when it resets). The answer shows the lead being charged; the sale completes when the charge does.',
        params: Type.Object({ id: Uuid }),
        body: Type.Object({ plumberId: Uuid }, { additionalProperties: false }),
        response: { 200: LeadDetail, ...Sale },
      },
    },
    async (request) => {
      await app.callService(leads.LeadAssign, {
        id: request.params.id,
        plumberId: request.body.plumberId,
        actor: operatorOf(request).email,
      });
      return leadDetail(app, request.params.id);
    },
  );

  app.get(
    '/leads/:id/plumbers',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Plumbers to sell the lead to, by name, phone or email: those who cover its ZIP and buy its service first, then nearest, with card status and usage against their caps',
        params: Type.Object({ id: Uuid }),
        querystring: Type.Object({
          q: Type.Optional(
            Type.String({ maxLength: 120, description: 'Part of a name, phone number or email' }),
          ),
        }),
        response: { 200: Type.Object({ items: Type.Array(PlumberForLead) }), 404: ErrorBody, ...Errors },
      },
    },
    async (request) => {
      const lead = await app.callService(intake.LeadGet, { id: request.params.id });
      const { items } = await app.callService(registry.PlumberSearchForLead, {
        ...(request.query.q !== undefined ? { q: request.query.q } : {}),
        serviceCode: lead.serviceNeeded,
        zipCode: lead.zipCode,
        lat: lead.lat,
        lng: lead.lng,
        limit: SELL_TO_LIMIT,
      });
      const stats = await leadStatsOf(app, items);
      return { items: items.map((p) => ({ ...p, usage: stats?.get(p.plumberId)?.usage ?? null })) };
    },
  );

  app.post(
    '/leads/:id/complete',
    {
      schema: {
        tags: ['admin'],
        summary: 'Mark a sold lead completed (the plumber does it by texting DONE <code>)',
        params: Type.Object({ id: Uuid }),
        response: { 200: LeadDetail, ...Sale },
      },
    },
    async (request) => {
      await app.callService(leads.LeadComplete, { id: request.params.id, actor: operatorOf(request).email });
      return leadDetail(app, request.params.id);
    },
  );
};

export default routes;
