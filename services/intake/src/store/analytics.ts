import { PLUMBING_SERVICE_CODES, plumbingService, type intake, type pricing } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import type { AnalyticsPeriod } from '../domain/lead-analytics.ts';

/**
 * The leads' analytics, in SQL over intake's own tables: `lead` (accepted leads and the sale's facts
 * intake keeps: offered_at, sold_at, completed_at, credited_cents), `lead_rejection` (submissions refused
 * as invalid, duplicate or not served) and `partner` (names). Test leads are never counted.
 *
 * Two kinds of number:
 * - the funnel follows the leads received in the period to wherever they got by now (a cohort: each
 *   stage counts the leads that reached it, so it never widens);
 * - everything else counts what happened in the period, when it happened: received and accepted by
 *   their time, a sale (and its revenue and credits) by `sold_at`, a completion by `completed_at`.
 *   Intake keeps no time for a credit, so credits count on their sale's day.
 */

/** Bigint sums come back from PostgreSQL as text. */
type DbInteger = number | string;

/** The period and zone every query reads: one set of parameters per query. */
const PERIOD = `with period as (select ?::timestamptz as since, ?::timestamptz as until, ?::text as zone)`;
const periodParams = (period: AnalyticsPeriod, timeZone: string): unknown[] => [
  period.since.toISOString(),
  period.until.toISOString(),
  timeZone,
];
/** A lead that counts: neither a test lead nor refused. */
const LIVE = `not l.test and l.status <> 'rejected'`;
const inPeriod = (column: string): string => `${column} >= period.since and ${column} < period.until`;

/** Whether PostgreSQL knows the IANA time zone by this exact name (it counts the days). */
export async function isKnownTimeZone(em: EntityManager, zone: string): Promise<boolean> {
  const [row] = await em.execute<{ known: boolean }[]>(
    `select exists (select 1 from pg_timezone_names where name = ?) as known`,
    [zone],
  );
  return row?.known ?? false;
}

export async function funnel(
  em: EntityManager,
  period: AnalyticsPeriod,
): Promise<Omit<pricing.LeadAnalytics['funnel'], 'received'>> {
  const [row] = await em.execute<
    { accepted: number; offered: number; sold: number; completed: number; credited: number }[]
  >(
    `${PERIOD}
     select count(*)::int as accepted,
            -- A lead an operator sold before any offer went out still passed the offered stage.
            count(*) filter (where l.offered_at is not null or l.sold_at is not null)::int as offered,
            count(*) filter (where l.sold_at is not null)::int as sold,
            count(*) filter (where l.completed_at is not null)::int as completed,
            count(*) filter (where l.credited_cents > 0)::int as credited
       from intake.lead l, period
      where ${LIVE} and ${inPeriod('l.created_at')}`,
    periodParams(period, 'UTC'),
  );
  return row ?? { accepted: 0, offered: 0, sold: 0, completed: 0, credited: 0 };
}

export async function rejections(
  em: EntityManager,
  period: AnalyticsPeriod,
): Promise<pricing.LeadAnalytics['rejected']> {
  const rows = await em.execute<{ reason: string; count: number }[]>(
    `${PERIOD}
     select r.reason, count(*)::int as count
       from intake.lead_rejection r, period
      where ${inPeriod('r.at')}
      group by r.reason`,
    periodParams(period, 'UTC'),
  );
  const count = (reason: string): number => rows.find((r) => r.reason === reason)?.count ?? 0;
  return { invalid: count('invalid'), duplicate: count('duplicate'), notServed: count('not_served') };
}

/**
 * Every event of the period as one row: a received lead, a rejection, a sale with its revenue and credit,
 * a completion. Each row carries the columns it is grouped by (`leadKeys` over the lead `l`,
 * `rejectionKeys` over the rejection `r`), and with `withDay` the day it happened in the period's zone.
 */
function events(leadKeys: string[], rejectionKeys: string[], withDay = false): string {
  const keys = (columns: string[], time: string): string =>
    [...columns, ...(withDay ? [`(${time} at time zone period.zone)::date as day`] : [])]
      .map((column) => `${column}, `)
      .join('');
  return `
     select ${keys(leadKeys, 'l.created_at')}1 as received, 1 as accepted, 0 as sold, 0 as completed,
            0 as revenue, 0 as credited
       from intake.lead l, period where ${LIVE} and ${inPeriod('l.created_at')}
     union all
     select ${keys(rejectionKeys, 'r.at')}1, 0, 0, 0, 0, 0
       from intake.lead_rejection r, period where ${inPeriod('r.at')}
     union all
     select ${keys(leadKeys, 'l.sold_at')}0, 0, 1, 0, l.price_cents - l.credited_cents, l.credited_cents
       from intake.lead l, period where ${LIVE} and ${inPeriod('l.sold_at')}
     union all
     select ${keys(leadKeys, 'l.completed_at')}0, 0, 0, 1, 0, 0
       from intake.lead l, period where ${LIVE} and ${inPeriod('l.completed_at')}`;
}

export async function bySource(
  em: EntityManager,
  period: AnalyticsPeriod,
): Promise<pricing.LeadAnalytics['bySource']> {
  const rows = await em.execute<
    {
      source: intake.LeadSource;
      partner_id: string | null;
      partner_name: string | null;
      received: number;
      accepted: number;
      sold: number;
      revenue: DbInteger;
    }[]
  >(
    `${PERIOD}
     select e.source, e.partner_id::text as partner_id, p.name as partner_name,
            sum(e.received)::int as received, sum(e.accepted)::int as accepted, sum(e.sold)::int as sold,
            sum(e.revenue)::bigint as revenue
       from (${events(['l.source', 'l.partner_id'], ['r.source', 'r.partner_id'])}) e
       left join intake.partner p on p.id = e.partner_id
      group by e.source, e.partner_id, p.name
      order by e.source = 'partner', p.name nulls first, e.partner_id`,
    periodParams(period, 'UTC'),
  );
  return rows
    .filter((row) => row.received > 0 || row.sold > 0)
    .map((row) => ({
      source: row.source,
      partnerId: row.partner_id,
      partnerName: row.partner_name,
      received: row.received,
      accepted: row.accepted,
      sold: row.sold,
      revenueCents: Number(row.revenue),
    }));
}

/** By the catalogue's services, in its order; a rejection naming no service (or an unknown one) is left out. */
export async function byService(
  em: EntityManager,
  period: AnalyticsPeriod,
): Promise<pricing.LeadAnalytics['byService']> {
  const codes = pgArray(PLUMBING_SERVICE_CODES);
  const rows = await em.execute<
    { service_code: string; received: number; accepted: number; sold: number; revenue: DbInteger }[]
  >(
    `${PERIOD}
     select e.service_code,
            sum(e.received)::int as received, sum(e.accepted)::int as accepted, sum(e.sold)::int as sold,
            sum(e.revenue)::bigint as revenue
       from (${events(['l.service_code'], ['r.service_code'])}) e
      where e.service_code = any(?::text[])
      group by e.service_code
      order by array_position(?::text[], e.service_code)`,
    [...periodParams(period, 'UTC'), codes, codes],
  );
  return rows
    .filter((row) => row.received > 0 || row.sold > 0)
    .map((row) => ({
      serviceCode: row.service_code,
      serviceName: plumbingService(row.service_code)?.name ?? row.service_code,
      received: row.received,
      accepted: row.accepted,
      sold: row.sold,
      revenueCents: Number(row.revenue),
    }));
}

/** Every calendar day of the period in `timeZone`, first to last, days without an event included. */
export async function byDay(
  em: EntityManager,
  period: AnalyticsPeriod,
  timeZone: string,
): Promise<pricing.LeadAnalytics['byDay']> {
  const rows = await em.execute<
    {
      day: string;
      received: number;
      accepted: number;
      sold: number;
      completed: number;
      revenue: DbInteger;
      credited: DbInteger;
    }[]
  >(
    `${PERIOD},
     days as (
       select d::date as day
         from period,
              generate_series((period.since at time zone period.zone)::date,
                              ((period.until - interval '1 millisecond') at time zone period.zone)::date,
                              interval '1 day') d
     ),
     e as (${events([], [], true)})
     select to_char(days.day, 'YYYY-MM-DD') as day,
            coalesce(sum(e.received), 0)::int as received, coalesce(sum(e.accepted), 0)::int as accepted,
            coalesce(sum(e.sold), 0)::int as sold, coalesce(sum(e.completed), 0)::int as completed,
            coalesce(sum(e.revenue), 0)::bigint as revenue, coalesce(sum(e.credited), 0)::bigint as credited
       from days left join e on e.day = days.day
      group by days.day
      order by days.day`,
    periodParams(period, timeZone),
  );
  return rows.map((row) => ({
    day: row.day,
    received: row.received,
    accepted: row.accepted,
    sold: row.sold,
    completed: row.completed,
    revenueCents: Number(row.revenue),
    creditedCents: Number(row.credited),
  }));
}

/** From acceptance (`created_at`) to the sale (`sold_at`), over the leads sold in the period. */
export async function timeToSale(
  em: EntityManager,
  period: AnalyticsPeriod,
): Promise<pricing.LeadAnalytics['timeToSale']> {
  const [row] = await em.execute<{ count: number; p50: number | null; p90: number | null }[]>(
    `${PERIOD},
     sales as (
       select greatest(extract(epoch from l.sold_at - l.created_at), 0)::float8 as seconds
         from intake.lead l, period
        where ${LIVE} and ${inPeriod('l.sold_at')}
     )
     select count(*)::int as count,
            percentile_cont(0.5) within group (order by seconds) as p50,
            percentile_cont(0.9) within group (order by seconds) as p90
       from sales`,
    periodParams(period, 'UTC'),
  );
  return { count: row?.count ?? 0, p50Seconds: row?.p50 ?? null, p90Seconds: row?.p90 ?? null };
}
