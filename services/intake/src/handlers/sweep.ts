import type { ServiceContext } from '@trades/runtime';

const BATCH = 500;

/**
 * Marks sessions abandoned for the TTL as expired, a batch at a time. Rows are claimed with
 * SKIP LOCKED so replicas share the sweep and never wait on a session a customer is using. A session
 * whose deposit is already authorized is left for the completion path, never expired under it.
 */
export async function expireAbandonedSessions(
  ctx: ServiceContext<unknown>,
  ttlHours: number,
): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await ctx.transaction((em) =>
      em.execute<{ id: string }[]>(
        `update intake.booking_session set state = 'expired', updated_at = now()
          where id in (
            select id from intake.booking_session
             where state in ('draft', 'awaiting_payment')
               and updated_at < now() - make_interval(secs => ?)
               and deposit_status is distinct from 'authorized'
             order by updated_at
             limit ?
             for update skip locked)
          returning id`,
        [ttlHours * 3600, BATCH],
      ),
    );
    total += expired.length;
    if (expired.length < BATCH) break;
  }
  if (total > 0) ctx.log.info({ expired: total }, 'expired abandoned booking sessions');
  return total;
}
