import { defineService } from '@trades/runtime';
import Type from 'typebox';
import { createStripeClient } from './adapters/stripe-client.ts';
import { depositOperations } from './handlers/deposits.ts';
import { depositEndpoints } from './handlers/endpoints.ts';
import { jobConsumers } from './handlers/jobs.ts';
import { leadCharges } from './handlers/lead-charges.ts';
import {
  providerCardEndpoints,
  providerCardOperations,
  providerConsumers,
} from './handlers/provider-cards.ts';
import { webhookEndpoints } from './handlers/webhook.ts';
import { migrations } from './migrations/index.ts';

/** Payments: deposits (authorize, capture, release, refund), providers' cards on file and provider charges, all through Stripe. */
export const paymentsService = defineService({
  name: 'payments',
  version: '0.1.0',
  description: 'Stripe deposits, captures, releases, refunds and provider charges',
  schema: 'payments',
  config: {
    STRIPE_SECRET_KEY: Type.String({ pattern: '^(sk|rk)_(test|live)_', description: 'Stripe secret key' }),
    STRIPE_WEBHOOK_SECRET: Type.String({
      pattern: '^whsec_',
      description: 'Signing secret of the webhook endpoint',
    }),
    STRIPE_API_BASE: Type.Optional(
      Type.String({ pattern: '^https?://', description: 'The local Stripe emulator; unset = Stripe itself' }),
    ),
    STRIPE_PUBLISHABLE_KEY: Type.Optional(Type.String({ pattern: '^pk_(test|live)_' })),
    STRIPE_MAX_NETWORK_RETRIES: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
  },
  entities: [],
  migrations,
  setup: (ctx) => {
    const apiBase = ctx.config.STRIPE_API_BASE;
    const settings = {
      stripe: createStripeClient({
        secretKey: ctx.config.STRIPE_SECRET_KEY,
        apiBase,
        maxNetworkRetries: ctx.config.STRIPE_MAX_NETWORK_RETRIES,
      }),
      emulator: apiBase !== undefined,
      publishableKey: ctx.config.STRIPE_PUBLISHABLE_KEY,
      webhookSecret: ctx.config.STRIPE_WEBHOOK_SECRET,
    };
    ctx.log.info({ stripe: settings.emulator ? apiBase : 'api.stripe.com' }, 'Stripe client ready');
    const deposits = depositOperations(ctx, settings);
    const cards = providerCardOperations(ctx, { ...settings, frontendUrl: ctx.config.FRONTEND_URL });
    const charges = leadCharges(ctx, settings, cards);
    return {
      endpoints: [
        ...depositEndpoints(ctx, deposits),
        ...providerCardEndpoints(cards),
        ...webhookEndpoints(ctx, settings, deposits, cards),
        ...charges.endpoints,
      ],
      consumers: [...jobConsumers(deposits), providerConsumers(cards), ...charges.consumers],
    };
  },
});
