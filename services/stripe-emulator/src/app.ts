import formbody from '@fastify/formbody';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { registerControlRoutes } from './control.ts';
import { EmulatorCore } from './domain/core.ts';
import { StripeApiError } from './http/errors.ts';
import { StripeRouter, type FormEnvelope } from './http/router.ts';
import { chargeRoutes } from './resources/charges.ts';
import { customerRoutes } from './resources/customers.ts';
import { eventRoutes } from './resources/events.ts';
import { paymentIntentRoutes } from './resources/payment-intents.ts';
import { paymentMethodRoutes } from './resources/payment-methods.ts';
import { refundRoutes } from './resources/refunds.ts';
import { setupIntentRoutes } from './resources/setup-intents.ts';
import { webhookEndpointRoutes } from './resources/webhook-endpoints.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

export interface WebhookEndpointOption {
  url: string;
  /** `whsec_…`; generated when omitted (read it back from the emulator). */
  secret?: string | undefined;
  /** Event types to send, or `*` (the default) for all. */
  enabledEvents?: readonly string[] | undefined;
}

export interface StripeEmulatorOptions {
  /** The only secret key accepted; when omitted any test-mode secret key (sk_test_…, rk_test_…) is. */
  secretKey?: string | undefined;
  webhookEndpoints?: readonly WebhookEndpointOption[];
  /** Waits before each webhook retry; when they run out the delivery is given up. */
  webhookRetryDelaysMs?: readonly number[];
  webhookTimeoutMs?: number;
  /** How long a refund on the refund-failure test card (pm_card_refundFail) stays succeeded. */
  refundFailureDelayMs?: number;
  /** Base URL browsers use to reach the emulator; defaults to the address it listens on. */
  publicUrl?: string;
  /** true: JSON logs at LOG_LEVEL (default info), one line per request; or fastify's logger options. */
  logger?: boolean | FastifyServerOptions['logger'];
}

export const DEFAULT_WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [500, 2_000, 10_000, 30_000, 60_000];

export interface StripeEmulatorApp {
  app: FastifyInstance;
  core: EmulatorCore;
  router: StripeRouter;
}

export function buildStripeEmulator(options: StripeEmulatorOptions = {}): StripeEmulatorApp {
  const logger =
    options.logger === true ? { level: process.env['LOG_LEVEL'] ?? 'info' } : (options.logger ?? false);
  // One line per request, written below, instead of fastify's two; never bodies, which carry card data.
  const app = Fastify({
    logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  const webhooks = new WebhookDispatcher({
    retryDelaysMs: options.webhookRetryDelaysMs ?? DEFAULT_WEBHOOK_RETRY_DELAYS_MS,
    timeoutMs: options.webhookTimeoutMs ?? 10_000,
    onAttempt: (delivery, attempt) => {
      const fields = {
        event: delivery.eventId,
        type: delivery.eventType,
        url: delivery.url,
        status: attempt.statusCode,
      };
      if (attempt.error === null) app.log.debug(fields, 'webhook delivered');
      else
        app.log.warn(
          { ...fields, error: attempt.error, next: delivery.nextAttemptAt },
          'webhook attempt failed',
        );
    },
  });
  const core = new EmulatorCore(webhooks, { refundFailureDelayMs: options.refundFailureDelayMs ?? 1_000 });
  if (options.publicUrl !== undefined) core.publicUrl = options.publicUrl;
  for (const endpoint of options.webhookEndpoints ?? []) webhooks.addEndpoint(endpoint);
  const router = new StripeRouter(core, options.secretKey);

  // Stripe's bracket encoding is decoded per request by the router, where a malformed
  // body can be answered in Stripe's error shape; the parser only hands the text over.
  void app.register(formbody, { parser: (encoded: string): FormEnvelope => ({ encoded }) });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/v1/')) {
      void reply
        .header('access-control-allow-origin', '*')
        .header(
          'access-control-allow-headers',
          'authorization, content-type, idempotency-key, stripe-version',
        )
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        .header('access-control-expose-headers', 'request-id, idempotent-replayed');
    }
  });
  app.options('/v1/*', async (_request, reply) => reply.code(204).send());
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?', 1)[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        stripeRequestId: reply.getHeader('request-id'),
      },
      'request',
    );
  });

  router.register(app, [
    ...customerRoutes(core),
    ...paymentMethodRoutes(core),
    ...paymentIntentRoutes(core),
    ...setupIntentRoutes(core),
    ...chargeRoutes(core),
    ...refundRoutes(core),
    ...eventRoutes(core),
    ...webhookEndpointRoutes(core),
  ]);
  registerControlRoutes(app, core, router);

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${request.method}: ${request.url.split('?')[0]}). The Stripe emulator implements only the part of Stripe's API this project uses (see services/stripe-emulator/README.md).`,
      },
    }),
  );

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof StripeApiError) return reply.code(error.status).send({ error: error.body });
    const status = statusOf(error);
    if (status !== undefined && status < 500) {
      const message = error instanceof Error ? error.message : 'Invalid request.';
      return reply.code(status).send({ error: { type: 'invalid_request_error', message } });
    }
    request.log.error({ err: error }, 'unexpected error in the Stripe emulator');
    return reply.code(500).send({
      error: { type: 'api_error', message: 'An unexpected error occurred in the Stripe emulator.' },
    });
  });

  app.addHook('onReady', async () => {
    app.log.info({ webhooks: webhooks.endpoints().map((endpoint) => endpoint.url) }, 'webhook endpoints');
  });
  // A request kept by a 'hold' fault would keep the server from closing.
  app.addHook('preClose', async () => router.releaseHeld());
  app.addHook('onClose', async () => core.close());
  return { app, core, router };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}
