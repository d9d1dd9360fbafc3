import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { credits, Cursor, ErrorBody, Limit, Uuid } from '@trades/contracts';
import Type from 'typebox';
import { operatorOf } from '../../plugins/admin-auth.ts';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };
const Note = Type.String({ maxLength: 1000 });
const IdParams = Type.Object({ id: Uuid });

/**
 * Credits (returns) of sold leads, dispatch's: the operators' queue (`status=review`) and history,
 * approve (optionally for less) or deny with a note, and crediting a sold lead by hand. The operator
 * signed in is the actor of every decision.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/credits',
    {
      schema: {
        tags: ['admin'],
        summary: 'Credits, newest first: the queue is status=review, the history everything else',
        querystring: Type.Object({
          status: Type.Optional(credits.CreditStatus),
          plumberId: Type.Optional(Uuid),
          leadId: Type.Optional(Uuid),
          cursor: Type.Optional(Cursor),
          limit: Type.Optional(Limit),
        }),
        response: { 200: credits.CreditList.reply, ...Errors },
      },
    },
    async (request) => {
      const query = Object.fromEntries(Object.entries(request.query).filter(([, v]) => v !== undefined));
      return app.callService(credits.CreditList, query);
    },
  );

  app.get(
    '/credits/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'One credit: reason, the plumber’s words, evidence, return rate, decision and refund',
        params: IdParams,
        response: { 200: credits.LeadCredit, 404: ErrorBody, ...Errors },
      },
    },
    async (request) => app.callService(credits.CreditGet, { id: request.params.id }),
  );

  app.post(
    '/credits/:id/approve',
    {
      schema: {
        tags: ['admin'],
        summary: 'Approve a credit waiting for review (optionally for a smaller amount): refunded at once',
        description:
          '409 CREDIT_ALREADY_DECIDED when it is not waiting any more; CREDIT_TOO_LARGE when the amount is more than what is left of the price.',
        params: IdParams,
        body: Type.Object(
          { amountCents: Type.Optional(Type.Integer({ minimum: 1 })), note: Type.Optional(Note) },
          { additionalProperties: false },
        ),
        response: { 200: credits.LeadCredit, 404: ErrorBody, 409: ErrorBody, ...Errors },
      },
    },
    async (request) =>
      app.callService(credits.CreditDecide, {
        id: request.params.id,
        decision: 'approve',
        ...(request.body.amountCents !== undefined ? { amountCents: request.body.amountCents } : {}),
        ...(request.body.note !== undefined ? { note: request.body.note } : {}),
        actor: operatorOf(request).email,
      }),
  );

  app.post(
    '/credits/:id/deny',
    {
      schema: {
        tags: ['admin'],
        summary: 'Deny a credit waiting for review, with a note the plumber is sent',
        description: '409 CREDIT_ALREADY_DECIDED when it is not waiting any more.',
        params: IdParams,
        body: Type.Object(
          { note: Type.String({ minLength: 1, maxLength: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: credits.LeadCredit, 404: ErrorBody, 409: ErrorBody, ...Errors },
      },
    },
    async (request) =>
      app.callService(credits.CreditDecide, {
        id: request.params.id,
        decision: 'deny',
        note: request.body.note,
        actor: operatorOf(request).email,
      }),
  );

  app.post(
    '/leads/:id/credits',
    {
      schema: {
        tags: ['admin'],
        summary: "Credit a sold lead now (up to what is left of its price): refunded on the sale's charge",
        description:
          '409 LEAD_NOT_SOLD, ALREADY_CREDITED, CREDIT_PENDING (a request waits: decide it), CREDIT_TOO_LARGE.',
        params: IdParams,
        body: Type.Object(
          {
            amountCents: Type.Integer({ minimum: 1 }),
            reason: credits.CreditReason,
            note: Type.Optional(Note),
          },
          { additionalProperties: false },
        ),
        response: { 201: credits.LeadCredit, 404: ErrorBody, 409: ErrorBody, ...Errors },
      },
    },
    async (request, reply) => {
      const credit = await app.callService(credits.LeadCreditCreate, {
        leadId: request.params.id,
        amountCents: request.body.amountCents,
        reason: request.body.reason,
        ...(request.body.note !== undefined ? { note: request.body.note } : {}),
        actor: operatorOf(request).email,
      });
      return reply.status(201).send(credit);
    },
  );
};

export default routes;
