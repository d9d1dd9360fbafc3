import type { EntityManager } from '@trades/runtime';

/** A plumber's lead activity over the last `days` days. */
export interface LeadActivity {
  offered: number;
  /** Offers they said YES to. */
  accepted: number;
  medianReplySeconds: number | null;
  /** Leads sold to them (ASSIGNED, COMPLETED, CREDITED) by `sold_at`. */
  bought: number;
  /** Of those, credited in whole or part (`credited_cents > 0`). */
  credited: number;
}

const NO_ACTIVITY: LeadActivity = {
  offered: 0,
  accepted: 0,
  medianReplySeconds: null,
  bought: 0,
  credited: 0,
};

/** Each plumber's offers, replies, purchases and credits over the last `days` days (none: zeros). */
export async function leadActivityOf(
  em: EntityManager,
  plumberIds: readonly string[],
  days: number,
): Promise<Map<string, LeadActivity>> {
  if (plumberIds.length === 0) return new Map();
  const ids = `{${plumberIds.join(',')}}`;
  const rows = await em.execute<
    {
      id: string;
      offered: number;
      accepted: number;
      median: number | null;
      bought: number;
      credited: number;
    }[]
  >(
    `with p(id) as (select unnest(?::uuid[])),
     offers as (
       select o.provider_id as id, count(*)::int as offered, count(o.yes_at)::int as accepted,
              -- Their own replies only: an operator's sale closes their offer ACCEPTED without one.
              percentile_cont(0.5) within group (
                order by extract(epoch from coalesce(o.yes_at, o.responded_at) - o.sent_at))
                filter (where o.responded_at is not null and not (o.status = 'ACCEPTED' and o.yes_at is null))
                as median
       from dispatch.offer o
       where o.provider_id = any(?::uuid[]) and o.lead_id is not null
         and o.sent_at >= now() - make_interval(days => ?)
       group by o.provider_id),
     sales as (
       select l.buyer_id as id, count(*)::int as bought, count(*) filter (where l.credited_cents > 0)::int as credited
       from dispatch.lead l
       where l.buyer_id = any(?::uuid[]) and l.state in ('ASSIGNED','COMPLETED','CREDITED')
         and l.sold_at >= now() - make_interval(days => ?)
       group by l.buyer_id)
     select p.id, coalesce(o.offered, 0) as offered, coalesce(o.accepted, 0) as accepted, o.median,
            coalesce(s.bought, 0) as bought, coalesce(s.credited, 0) as credited
     from p left join offers o on o.id = p.id left join sales s on s.id = p.id`,
    [ids, ids, days, ids, days],
  );
  const byId = new Map<string, LeadActivity>(
    rows.map((r) => [
      r.id,
      {
        offered: r.offered,
        accepted: r.accepted,
        medianReplySeconds: r.median === null ? null : Math.round(Number(r.median) * 10) / 10,
        bought: r.bought,
        credited: r.credited,
      },
    ]),
  );
  for (const id of plumberIds) if (!byId.has(id)) byId.set(id, { ...NO_ACTIVITY });
  return byId;
}
