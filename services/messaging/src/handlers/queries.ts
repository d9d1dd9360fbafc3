import { messaging } from '@trades/contracts';
import { endpoint, type EndpointBinding, type ServiceContext } from '@trades/runtime';
import { decodeCursor } from '../domain/cursor.ts';
import { listMessages } from '../store/messages.ts';

const DEFAULT_PAGE = 50;

export function queryEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  return [
    endpoint(messaging.MessageList, async (request) =>
      listMessages(ctx.orm.em.fork(), {
        channel: request.channel,
        phone: request.phone,
        email: request.email,
        direction: request.direction,
        status: request.status,
        jobId: request.jobId,
        leadId: request.leadId,
        after: request.cursor === undefined ? undefined : decodeCursor(request.cursor),
        limit: request.limit ?? DEFAULT_PAGE,
      }),
    ),
    endpoint(messaging.MessagingStats, async () => {
      const [row] = await ctx.orm.em.fork().execute<{ n: number }[]>(
        `select count(*)::int as n from messaging.message
           where channel = 'sms' and created_at > now() - interval '1 hour'`,
      );
      return { smsLastHour: row?.n ?? 0 };
    }),
  ];
}
