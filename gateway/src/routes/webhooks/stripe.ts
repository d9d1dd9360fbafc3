import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { badRequest, ErrorBody, payments } from '@trades/contracts';
import Type from 'typebox';

/**
 * POST /api/webhooks/stripe: the body is kept as the exact string Stripe signed (this plugin is
 * encapsulated, so the raw JSON parser applies here only) and relayed to payments, which verifies the
 * Stripe-Signature before believing anything.
 */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/api/webhooks/stripe',
    {
      config: { rateLimit: { max: 1200, timeWindow: '1 minute' }, rateLimitCounting: 'replica' },
      schema: {
        tags: ['webhooks'],
        summary: 'Stripe events (signature verified; each event id handled once)',
        headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String()) }),
        body: Type.String({ maxLength: 256 * 1024 }),
        response: {
          200: Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() }),
          400: ErrorBody,
          429: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      const signature = request.headers['stripe-signature'];
      if (!signature) throw badRequest('INVALID_SIGNATURE', 'The Stripe-Signature header is missing.');
      // Stripe's header is a timestamp and a few signatures; anything longer is not from Stripe.
      if (signature.length > 2000)
        throw badRequest('INVALID_SIGNATURE', 'The Stripe-Signature header is not one Stripe sends.');
      return app.callService(payments.StripeWebhook, { rawBody: request.body, signature });
    },
  );
};

export default routes;
