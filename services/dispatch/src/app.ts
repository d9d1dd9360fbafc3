import { defineService } from '@trades/runtime';
import { dispatchConfig } from './config.ts';
import { bookingConsumer } from './handlers/bookings.ts';
import { dispatchEndpoints } from './handlers/endpoints.ts';
import { engagementsEndpoint } from './handlers/engagements.ts';
import { leadConsumers, leadEndpoints } from './handlers/lead-endpoints.ts';
import { runDueLeads } from './handlers/leads.ts';
import { runDueWork } from './handlers/lifecycle.ts';
import { smsConsumer } from './handlers/replies.ts';
import { migrations } from './migrations/index.ts';

/** Dispatch: jobs, their state machine, offers and waves; first YES wins. */
export const dispatchService = defineService({
  name: 'dispatch',
  version: '0.1.0',
  description: 'Jobs and plumbing leads, offers and waves: who gets the job, who buys the lead',
  schema: 'dispatch',
  config: dispatchConfig,
  entities: [],
  migrations,
  setup: (ctx) => {
    // Offer expiry and wave advance live in rows with a due time; every replica polls, SKIP LOCKED shares them.
    ctx.every('dispatch-due-work', ctx.config.DISPATCH_TICK_MS, async () => {
      await runDueWork(ctx);
      await runDueLeads(ctx);
    });
    return {
      endpoints: [...dispatchEndpoints(ctx), engagementsEndpoint(ctx), ...leadEndpoints(ctx)],
      consumers: [bookingConsumer(ctx), smsConsumer(ctx), ...leadConsumers(ctx)],
    };
  },
});
