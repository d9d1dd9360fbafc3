import { defineService } from '@trades/runtime';
import { CatalogService } from './entities/catalog-service.ts';
import { catalogEndpoints } from './handlers/catalog.ts';
import { migrations } from './migrations/index.ts';

/** Intake: booking sessions and their funnel, the service catalog and deposits' prices, leads. */
export const intakeService = defineService({
  name: 'intake',
  version: '0.1.0',
  description: 'Booking sessions, funnel analytics, the service catalog and leads',
  schema: 'intake',
  config: {},
  entities: [CatalogService],
  migrations,
  setup: (ctx) => ({
    endpoints: [...catalogEndpoints(ctx)],
    consumers: [],
  }),
});
