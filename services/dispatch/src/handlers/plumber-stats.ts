import { leads } from '@trades/contracts';
import { endpoint, type EndpointBinding } from '@trades/runtime';
import type { DispatchContext } from '../config.ts';
import { capsReached, capWindows, noUsage } from '../domain/lead-caps.ts';
import { capUsageOf } from '../store/lead-caps.ts';
import { leadActivityOf } from '../store/plumber-stats.ts';

/** What the statistics look back over (and the return rate the credit review uses). */
export const STATS_DAYS = 30;

/** Credited ÷ bought; null with no sale. */
export const returnRateOf = (bought: number, credited: number): number | null =>
  bought === 0 ? null : Math.min(1, credited / bought);

/**
 * svc.dispatch.plumber.lead_stats: for each plumber (with the caps and time zone the caller read from the
 * registry), offers, purchases, credits, acceptance rate, median reply time and return rate over the last
 * 30 days, flagged above DISPATCH_CREDIT_REVIEW_RATE, and their usage against their caps now.
 */
export function plumberStatsEndpoint(ctx: DispatchContext): EndpointBinding {
  return endpoint(leads.PlumberLeadStatsGet, async ({ plumbers }) => {
    const em = ctx.orm.em.fork();
    const now = new Date();
    const ids = plumbers.map((p) => p.plumberId);
    const activity = await leadActivityOf(em, ids, STATS_DAYS);
    const usage = await capUsageOf(
      em,
      plumbers.map((p) => ({ plumberId: p.plumberId, windows: capWindows(now, p.timeZone) })),
    );
    return {
      items: plumbers.map((plumber) => {
        const a = activity.get(plumber.plumberId);
        const used = usage.get(plumber.plumberId) ?? noUsage();
        const returnRate = a ? returnRateOf(a.bought, a.credited) : null;
        return {
          plumberId: plumber.plumberId,
          offered: a?.offered ?? 0,
          bought: a?.bought ?? 0,
          credited: a?.credited ?? 0,
          acceptanceRate: a && a.offered > 0 ? a.accepted / a.offered : null,
          medianReplySeconds: a?.medianReplySeconds ?? null,
          returnRate,
          flagged: returnRate !== null && returnRate > ctx.config.DISPATCH_CREDIT_REVIEW_RATE,
          usage: { ...used, atCap: capsReached(plumber, used)[0] ?? null },
        };
      }),
    };
  });
}
