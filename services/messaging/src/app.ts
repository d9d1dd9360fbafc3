import { messaging } from '@trades/contracts';
import { defineService, endpoint } from '@trades/runtime';
import { migrations } from './migrations/index.ts';

/** Messaging: every SMS in and out with its delivery status, opt-outs and the email log. */
export const messagingService = defineService({
  name: 'messaging',
  version: '0.1.0',
  description: 'SMS in and out through Twilio, delivery status, opt-outs, email',
  schema: 'messaging',
  config: {},
  entities: [],
  migrations,
  setup: (ctx) => ({
    endpoints: [
      endpoint(messaging.MessagingStats, async () => {
        const [row] = await ctx.orm.em
          .fork()
          .execute<{ n: number }[]>(
            `select count(*)::int as n from messaging.message where created_at > now() - interval '1 hour'`,
          );
        return { smsLastHour: row?.n ?? 0 };
      }),
    ],
    consumers: [],
  }),
});
