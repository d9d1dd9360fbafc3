import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, payments } from '@trades/contracts';
import Type from 'typebox';

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

/** Per client address and route: a plumber on a phone never comes near it, a token-guessing script does. */
const limit = (max: number) => ({ rateLimit: { max, timeWindow: '1 minute' } });

const TokenParams = Type.Object({ token: Type.String({ maxLength: 200 }) });
const Errors = {
  400: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  410: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

function token(value: string): string {
  if (!TOKEN.test(value)) throw payments.cardLinkNotFound();
  return value;
}

/** The plumber's card page: /api/plumber-card/{token} (payments). The token is the only credential. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/plumber-card/:token',
    {
      config: limit(60),
      schema: {
        tags: ['plumbers'],
        summary:
          'Open a card link: the SetupIntent to confirm in the browser (410 CARD_LINK_EXPIRED for a used, expired or superseded link)',
        params: TokenParams,
        response: { 200: payments.ProviderCardSession.reply, ...Errors },
      },
    },
    async (request) => app.callService(payments.ProviderCardSession, { token: token(request.params.token) }),
  );

  app.post(
    '/api/plumber-card/:token/complete',
    {
      config: limit(30),
      schema: {
        tags: ['plumbers'],
        summary:
          'Save the card once its SetupIntent is confirmed (idempotent); it becomes the card charged for leads',
        params: TokenParams,
        response: { 200: payments.ProviderCardComplete.reply, ...Errors },
      },
    },
    async (request) => app.callService(payments.ProviderCardComplete, { token: token(request.params.token) }),
  );

  app.post(
    '/api/plumber-card/:token/test-confirm',
    {
      config: limit(30),
      schema: {
        tags: ['plumbers'],
        summary:
          'Local emulator only: confirm the SetupIntent with a Stripe test payment method (pm_card_visa, …)',
        params: TokenParams,
        body: Type.Object({ paymentMethod: Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,100}$' }) }),
        response: { 200: payments.ProviderCardTestConfirm.reply, 402: ErrorBody, ...Errors },
      },
    },
    async (request) =>
      app.callService(payments.ProviderCardTestConfirm, {
        token: token(request.params.token),
        paymentMethod: request.body.paymentMethod,
      }),
  );
};

export default routes;
