import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Cursor, ErrorBody, intake, Limit, pricing, ServiceCode } from '@trades/contracts';
import Type from 'typebox';
import { operatorOf } from '../../plugins/admin-auth.ts';

const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 503: ErrorBody };

/**
 * The lead price table (intake): read, set a price, remove a ZIP-prefix price, and its history. The
 * signed-in operator is the actor intake records; the audit plugin logs every change too.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/lead-prices',
    {
      schema: {
        tags: ['admin'],
        summary: 'The lead price table: every service × urgency base price and every ZIP-prefix price',
        response: { 200: pricing.LeadPriceList.reply, ...Errors },
      },
    },
    async () => app.callService(pricing.LeadPriceList, {}),
  );

  app.put(
    '/lead-prices',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Set one price (a new ZIP-prefix price, or a change to any row); applies to leads accepted from now on',
        body: Type.Object(
          {
            serviceCode: ServiceCode,
            urgency: intake.LeadUrgency,
            zipPrefix: Type.Optional(
              Type.Union([pricing.ZipPrefix, Type.Null()], {
                description: 'Leave out or null for the base price of the service and urgency',
              }),
            ),
            priceCents: pricing.LeadPriceSet.request.properties.priceCents,
          },
          { additionalProperties: false },
        ),
        response: { 200: pricing.LeadPrice, ...Errors },
      },
    },
    async (request) => {
      const { serviceCode, urgency, zipPrefix, priceCents } = request.body;
      return app.callService(pricing.LeadPriceSet, {
        serviceCode,
        urgency,
        zipPrefix: zipPrefix ?? null,
        priceCents,
        actor: operatorOf(request).email,
      });
    },
  );

  app.delete(
    '/lead-prices',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Remove a ZIP-prefix price (the base price applies there again); a base price cannot be removed (400 BASE_PRICE_REQUIRED)',
        querystring: Type.Object({
          serviceCode: ServiceCode,
          urgency: intake.LeadUrgency,
          zipPrefix: Type.Optional(pricing.ZipPrefix),
        }),
        response: { 204: Type.Null(), ...Errors },
      },
    },
    async (request, reply) => {
      const { serviceCode, urgency, zipPrefix } = request.query;
      await app.callService(pricing.LeadPriceRemove, {
        serviceCode,
        urgency,
        zipPrefix: zipPrefix ?? null,
        actor: operatorOf(request).email,
      });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/lead-prices/history',
    {
      schema: {
        tags: ['admin'],
        summary: 'Every change to the price table, newest first: old and new price, operator, time',
        querystring: Type.Object({ cursor: Type.Optional(Cursor), limit: Type.Optional(Limit) }),
        response: { 200: pricing.LeadPriceHistory.reply, ...Errors },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query;
      return app.callService(pricing.LeadPriceHistory, {
        ...(cursor !== undefined ? { cursor } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );
};

export default routes;
