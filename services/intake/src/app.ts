import { createGeocoder } from '@trades/geo';
import { defineService } from '@trades/runtime';
import Type from 'typebox';
import { CatalogService } from './entities/catalog-service.ts';
import { adminEndpoints } from './handlers/admin.ts';
import { bookingEndpoints } from './handlers/booking.ts';
import { catalogEndpoints } from './handlers/catalog.ts';
import { bookingConsumers } from './handlers/events.ts';
import { leadAnalyticsEndpoints } from './handlers/lead-analytics.ts';
import { leadPriceEndpoints } from './handlers/lead-prices.ts';
import { leadStatusConsumer } from './handlers/lead-status.ts';
import { leadEndpoints, purgeIdempotencyKeys } from './handlers/leads.ts';
import { partnerEndpoints } from './handlers/partners.ts';
import { expireAbandonedSessions } from './handlers/sweep.ts';
import { sendDueWebhooks } from './handlers/webhooks.ts';
import { webhookTargetPolicy } from './domain/webhook-targets.ts';
import { migrations } from './migrations/index.ts';

/** Partners' Idempotency-Keys are kept 24 hours; the expired ones are deleted this often. */
const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Intake: booking sessions and their funnel, the service catalog and deposits' prices, leads. */
export const intakeService = defineService({
  name: 'intake',
  version: '0.1.0',
  description: 'Booking sessions, funnel analytics, the service catalog and leads',
  schema: 'intake',
  config: {
    GOOGLE_MAPS_API_KEY: Type.Optional(
      Type.String({ description: 'Google Maps Geocoding; unset = offline US geocoder' }),
    ),
    GOOGLE_MAPS_GEOCODE_URL: Type.Optional(
      Type.String({ description: 'Override of the geocoding endpoint' }),
    ),
    INTAKE_SESSION_TTL_HOURS: Type.Number({
      exclusiveMinimum: 0,
      default: 24,
      description: 'Abandoned sessions expire after this',
    }),
    INTAKE_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 100, default: 60_000 }),
    INTAKE_WEBHOOK_POLL_MS: Type.Integer({
      minimum: 50,
      default: 1_000,
      description: "How often partners' due webhook deliveries are looked for",
    }),
  },
  entities: [CatalogService],
  migrations,
  setup: (ctx) => {
    const geocoder = createGeocoder({
      GOOGLE_MAPS_API_KEY: ctx.config.GOOGLE_MAPS_API_KEY,
      GOOGLE_MAPS_GEOCODE_URL: ctx.config.GOOGLE_MAPS_GEOCODE_URL,
    });
    ctx.log.info({ geocoder: geocoder.name }, 'geocoder selected');
    ctx.every('expire-abandoned-sessions', ctx.config.INTAKE_SWEEP_INTERVAL_MS, () =>
      expireAbandonedSessions(ctx, ctx.config.INTAKE_SESSION_TTL_HOURS),
    );
    ctx.every('purge-idempotency-keys', IDEMPOTENCY_PURGE_INTERVAL_MS, () => purgeIdempotencyKeys(ctx));
    // Partners' webhook URLs: never link-local or metadata; loopback and private only outside production.
    const webhookTargets = webhookTargetPolicy(ctx.config.APP_ENV);
    ctx.every('partner-webhooks', ctx.config.INTAKE_WEBHOOK_POLL_MS, () =>
      sendDueWebhooks(ctx, webhookTargets),
    );
    return {
      endpoints: [
        ...catalogEndpoints(ctx),
        ...bookingEndpoints(ctx, { geocoder }),
        ...adminEndpoints(ctx),
        ...leadEndpoints(ctx),
        ...partnerEndpoints(ctx, webhookTargets),
        ...leadPriceEndpoints(ctx),
        ...leadAnalyticsEndpoints(ctx),
      ],
      consumers: [...bookingConsumers(ctx), leadStatusConsumer()],
    };
  },
});
