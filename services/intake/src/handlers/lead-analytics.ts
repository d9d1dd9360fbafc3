import { badRequest, pricing } from '@trades/contracts';
import { endpoint, type EndpointBinding, type ServiceContext } from '@trades/runtime';
import { analyticsPeriod, DEFAULT_TIME_ZONE } from '../domain/lead-analytics.ts';
import {
  byDay,
  bySource,
  byService,
  funnel,
  isKnownTimeZone,
  rejections,
  timeToSale,
} from '../store/analytics.ts';

/** The leads' funnel, rejections, sources, services, days, time to sale and revenue over a period. */
export function leadAnalyticsEndpoints(ctx: ServiceContext<unknown>): EndpointBinding[] {
  return [
    endpoint(pricing.LeadAnalyticsGet, async ({ from, to, timeZone }) => {
      const period = analyticsPeriod(from, to);
      const zone = timeZone ?? DEFAULT_TIME_ZONE;
      const em = ctx.orm.em.fork();
      if (!(await isKnownTimeZone(em, zone)))
        throw badRequest(
          'UNKNOWN_TIME_ZONE',
          `"${zone}" is not a time zone we know; use an IANA name such as America/New_York or UTC.`,
        );
      const stages = await funnel(em, period);
      const rejected = await rejections(em, period);
      const days = await byDay(em, period, zone);
      return {
        from: period.since.toISOString(),
        to: period.until.toISOString(),
        funnel: {
          received: stages.accepted + rejected.invalid + rejected.duplicate + rejected.notServed,
          ...stages,
        },
        rejected,
        bySource: await bySource(em, period),
        byService: await byService(em, period),
        byDay: days,
        timeToSale: await timeToSale(em, period),
        revenueCents: days.reduce((sum, day) => sum + day.revenueCents, 0),
        creditedCents: days.reduce((sum, day) => sum + day.creditedCents, 0),
      };
    }),
  ];
}
