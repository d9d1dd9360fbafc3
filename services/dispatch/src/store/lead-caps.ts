// What a plumber's caps count: their sales by `lead.buyer_id, lead.sold_at` (index lead_buyer_sold_idx)
// in states CHARGING, ASSIGNED, COMPLETED, CREDITED; spend is the gross price (credits give no room back).
import { registry } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import { Compile } from 'typebox/compile';
import type { CapKind, CapUsage, CapWindows, Caps } from '../domain/lead-caps.ts';

export const CAP_COUNTED_STATES = `'CHARGING','ASSIGNED','COMPLETED','CREDITED'`;

/** One plumber whose usage is wanted, with the windows of their time zone. */
export interface UsageQuery {
  plumberId: string;
  windows: CapWindows;
}

/** Each plumber's sales in their current day, week and month (plumbers with none: zeros). */
export async function capUsageOf(
  em: EntityManager,
  queries: readonly UsageQuery[],
): Promise<Map<string, CapUsage>> {
  if (queries.length === 0) return new Map();
  const list = (values: readonly string[]): string => `{${values.join(',')}}`;
  const rows = await em.execute<
    { id: string; today: number; this_week: number; this_month: number; spend: number }[]
  >(
    `select w.id,
            count(l.id) filter (where l.sold_at >= w.day_start)::int as today,
            count(l.id) filter (where l.sold_at >= w.week_start)::int as this_week,
            count(l.id) filter (where l.sold_at >= w.month_start)::int as this_month,
            coalesce(sum(l.price_cents) filter (where l.sold_at >= w.month_start), 0)::int as spend
     from unnest(?::uuid[], ?::timestamptz[], ?::timestamptz[], ?::timestamptz[])
            as w(id, day_start, week_start, month_start)
     left join dispatch.lead l
       on l.buyer_id = w.id and l.sold_at >= least(w.week_start, w.month_start)
      and l.state in (${CAP_COUNTED_STATES})
     group by w.id`,
    [
      list(queries.map((q) => q.plumberId)),
      list(queries.map((q) => q.windows.dayStart.toISOString())),
      list(queries.map((q) => q.windows.weekStart.toISOString())),
      list(queries.map((q) => q.windows.monthStart.toISOString())),
    ],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { today: r.today, thisWeek: r.this_week, thisMonth: r.this_month, spendThisMonthCents: r.spend },
    ]),
  );
}

/** One plumber's usage (under their lock, this is what the next sale is decided on). */
export async function capUsage(em: EntityManager, query: UsageQuery): Promise<CapUsage> {
  const usage = (await capUsageOf(em, [query])).get(query.plumberId);
  return usage ?? { today: 0, thisWeek: 0, thisMonth: 0, spendThisMonthCents: 0 };
}

/**
 * Records that the plumber was told they reached a cap in the window starting `windowStart`: true the
 * first time only, so the notice goes out once per window whatever the redeliveries and replicas.
 */
export async function recordCapNotice(
  em: EntityManager,
  notice: { plumberId: string; cap: CapKind; windowStart: Date; limit: number; used: number },
): Promise<boolean> {
  const inserted = await em.execute<{ plumber_id: string }[]>(
    `insert into dispatch.plumber_cap_notice (plumber_id, cap, window_start, cap_limit, used)
     values (?, ?, ?, ?, ?) on conflict do nothing returning plumber_id`,
    [notice.plumberId, notice.cap, notice.windowStart.toISOString(), notice.limit, notice.used],
  );
  return inserted.length === 1;
}

const capsCheck = Compile(registry.PlumberCaps);

/** The caps as stored on an offer or a lead (`provider_caps`, `buyer_caps` jsonb); null when absent. */
export const storedCaps = (value: unknown): Caps | null => (capsCheck.Check(value) ? value : null);

export const capsJson = (caps: Caps): string =>
  JSON.stringify({
    dailyCap: caps.dailyCap,
    weeklyCap: caps.weeklyCap,
    monthlyCap: caps.monthlyCap,
    monthlySpendCapCents: caps.monthlySpendCapCents,
    timeZone: caps.timeZone,
  });
