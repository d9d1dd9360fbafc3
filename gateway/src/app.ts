import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CORRELATION_HEADER } from '@trades/contracts';
import { enterContext, type NatsConnection } from '@trades/runtime/client';
import type { GatewayConfig } from './config.ts';
import errors from './plugins/errors.ts';
import nats from './plugins/nats.ts';
import { sharedRateLimitStore } from './plugins/rate-limit-store.ts';
import securityHeaders from './plugins/security-headers.ts';
import sharedState from './plugins/shared-state.ts';
import adminRoutes from './routes/admin/index.ts';
import bookingRoutes from './routes/booking/index.ts';
import catalogRoutes from './routes/catalog.ts';
import healthRoutes from './routes/health.ts';
import leadRoutes from './routes/leads/index.ts';
import leadCreditRoutes from './routes/leads/credits.ts';
import leadOfferRoutes from './routes/leads/offers.ts';
import partnerRoutes from './routes/partner/index.ts';
import plumberCardRoutes from './routes/plumber-card.ts';
import stripeWebhook from './routes/webhooks/stripe.ts';
import twilioWebhooks from './routes/webhooks/twilio.ts';

export interface AppOptions {
  config: GatewayConfig;
  /** An existing connection (tests); otherwise the plugin connects to NATS_URL. */
  natsConnection?: NatsConnection;
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{8,100}$/;

/** Correlation id for a request: the caller's when it is sane, else a new one. */
export function correlationIdFor(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && CORRELATION_ID.test(value) ? value : randomUUID();
}

/**
 * The gateway as a plugin: external plugins first (NATS, security, docs), then the app's error
 * handling, then the routes. `server.ts` only starts it.
 */
const app: FastifyPluginAsyncTypebox<AppOptions> = async (fastify, { config, natsConnection }) => {
  await fastify.register(nats, {
    url: config.NATS_URL,
    timeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
    connection: natsConnection,
  });
  await fastify.register(sharedState);
  await fastify.register(securityHeaders, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });
  const origins = new Set(
    [config.FRONTEND_URL, config.ADMIN_URL, ...config.CORS_ORIGINS.split(',')]
      .map((o) => o.trim())
      .filter(Boolean),
  );
  await fastify.register(cors, {
    origin: (origin, done) => done(null, !origin || origins.has(origin)),
    credentials: true,
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    exposedHeaders: [CORRELATION_HEADER],
  });
  await fastify.register(cookie);
  // Counted in NATS key-value, so N replicas allow what one would (see plugins/rate-limit-store.ts).
  await fastify.register(rateLimit, { global: false, store: sharedRateLimitStore(fastify.shared) });
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Trades marketplace API',
        description:
          'Customer booking, operations (admin) and provider webhooks. Errors are `{ code, message, details? }`.',
        version: '0.1.0',
      },
      servers: [{ url: config.BASE_URL }],
      tags: [
        { name: 'booking', description: 'The customer booking flow' },
        { name: 'leads', description: 'The public plumbing form' },
        { name: 'partner', description: 'The partner lead API (Authorization: Bearer <API key>)' },
        { name: 'admin', description: 'Operations console (operator session required)' },
        {
          name: 'plumbers',
          description: "A plumber's card on file, through the single-use link sent to them",
        },
        { name: 'webhooks', description: 'Twilio and Stripe callbacks (signature verified)' },
        { name: 'health', description: 'Liveness and service discovery' },
      ],
    },
  });
  await fastify.register(swaggerUi, { routePrefix: '/docs' });
  await fastify.register(errors);

  fastify.addHook('onRequest', async (request, reply) => {
    enterContext(request.id);
    reply.header(CORRELATION_HEADER, request.id);
  });

  await fastify.register(healthRoutes);
  await fastify.register(catalogRoutes);
  await fastify.register(bookingRoutes, {
    streams: {
      perToken: config.STATUS_STREAMS_PER_TOKEN,
      perClient: config.STATUS_STREAMS_PER_CLIENT,
      maxLifetimeMs: config.STATUS_STREAM_MAX_LIFETIME_MS,
    },
  });
  await fastify.register(leadRoutes);
  await fastify.register(leadOfferRoutes);
  await fastify.register(leadCreditRoutes);
  await fastify.register(partnerRoutes);
  await fastify.register(plumberCardRoutes);
  await fastify.register(adminRoutes, { prefix: '/api/admin', config });
  await fastify.register(stripeWebhook);
  await fastify.register(twilioWebhooks, {
    baseUrl: config.BASE_URL,
    authToken: config.TWILIO_AUTH_TOKEN,
    perMinute: config.TWILIO_WEBHOOK_RATE_LIMIT_PER_MINUTE,
  });
};

export default app;
