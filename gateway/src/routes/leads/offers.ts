import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, leads } from '@trades/contracts';
import Type from 'typebox';

/** A link is opened by one plumber a few times; a script guessing tokens is slowed down. */
export const LINK_RATE_LIMIT = { rateLimit: { max: 30, timeWindow: '1 minute' } };

const TokenParams = Type.Object({ token: leads.LeadOfferToken });

/**
 * A lead offer's accept link (from the offer email): GET shows the offer and never acts (mail scanners
 * prefetch links); POST buys it, exactly as `YES <code>` by SMS does (dispatch's lead.offer_accept).
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/lead-offers/:token',
    {
      config: LINK_RATE_LIMIT,
      schema: {
        tags: ['leads'],
        summary: 'A lead offer behind an accept link: service, urgency, ZIP, price, expiry, still open?',
        params: TokenParams,
        response: {
          200: leads.LeadOfferView,
          400: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => app.callService(leads.LeadOfferGet, { token: request.params.token }),
  );

  app.post(
    '/api/lead-offers/:token/accept',
    {
      config: LINK_RATE_LIMIT,
      schema: {
        tags: ['leads'],
        summary:
          'Buy the lead (same as replying YES <code>): charging, queued (next in line) or rejected with a reason',
        params: TokenParams,
        response: {
          200: leads.LeadOfferAccept.reply,
          400: ErrorBody,
          404: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => app.callService(leads.LeadOfferAccept, { token: request.params.token }),
  );
};

export default routes;
