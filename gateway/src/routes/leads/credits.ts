import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { credits, ErrorBody } from '@trades/contracts';
import Type from 'typebox';
import { LINK_RATE_LIMIT } from './offers.ts';

const TokenParams = Type.Object({ token: credits.CreditLinkToken });

/**
 * A sale's credit link (from the buyer's sale email): GET shows the lead, the deadline and their
 * requests, and never acts (mail scanners prefetch links); POST asks for a credit, checked at once like
 * `CREDIT <code> <reason>` by SMS.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/lead-credits/:token',
    {
      config: LINK_RATE_LIMIT,
      schema: {
        tags: ['leads'],
        summary: 'A sold lead behind a credit link: code, service, ZIP, price, sold, deadline, requests',
        params: TokenParams,
        response: {
          200: credits.CreditLinkView,
          400: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => app.callService(credits.CreditLinkGet, { token: request.params.token }),
  );

  app.post(
    '/api/lead-credits/:token',
    {
      config: LINK_RATE_LIMIT,
      schema: {
        tags: ['leads'],
        summary: 'Ask for a credit of the lead: credited at once when the reason checks out, else reviewed',
        description:
          '409 CREDIT_WINDOW_CLOSED after 7 days, CREDIT_PENDING while one waits, ALREADY_CREDITED when nothing is left.',
        params: TokenParams,
        body: Type.Object(
          { reason: credits.CreditReason, note: Type.Optional(Type.String({ maxLength: 1000 })) },
          { additionalProperties: false },
        ),
        response: {
          201: credits.BuyerCredit,
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const credit = await app.callService(credits.CreditLinkRequest, {
        token: request.params.token,
        reason: request.body.reason,
        ...(request.body.note !== undefined ? { note: request.body.note } : {}),
      });
      return reply.status(201).send(credit);
    },
  );
};

export default routes;
