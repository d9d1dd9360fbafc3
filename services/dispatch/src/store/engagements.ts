import type { dispatch } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import { iso, secondsBetween, type JobRow, type OfferRow } from './rows.ts';

type JobEngagementRow = Pick<JobRow, 'id' | 'state' | 'locksmith_id' | 'updated_at'>;

const JOB_COLUMNS = 'id, state, locksmith_id, updated_at';
const OFFER_COLUMNS = 'id, job_id, lead_id, provider_id, status, sent_at, responded_at, closed_at';

function toJobEngagement(row: JobEngagementRow): dispatch.JobEngagement {
  return { jobId: row.id, state: row.state, locksmithId: row.locksmith_id, at: iso(row.updated_at) };
}

function toOfferEngagement(
  row: Pick<
    OfferRow,
    'id' | 'job_id' | 'lead_id' | 'provider_id' | 'status' | 'sent_at' | 'responded_at' | 'closed_at'
  >,
): dispatch.OfferEngagement {
  return {
    offerId: row.id,
    jobId: row.job_id,
    leadId: row.lead_id,
    providerId: row.provider_id,
    status: row.status,
    responseSeconds: row.responded_at === null ? null : secondsBetween(row.sent_at, row.responded_at),
    sentAt: iso(row.sent_at),
    closedAt: row.closed_at === null ? null : iso(row.closed_at),
  };
}

/** Dispatch's clock now: every row read after this call is at least this recent. */
export async function clockNow(em: EntityManager): Promise<string> {
  const [row] = await em.execute<{ now: Date | string }[]>('select clock_timestamp() as now');
  return iso(row?.now ?? new Date());
}

export async function jobsById(em: EntityManager, ids: readonly string[]): Promise<dispatch.JobEngagement[]> {
  if (ids.length === 0) return [];
  const rows = await em.execute<JobEngagementRow[]>(
    `select ${JOB_COLUMNS} from dispatch.job where id = any(?::uuid[])`,
    [pgArray(ids)],
  );
  return rows.map(toJobEngagement);
}

export async function offersById(
  em: EntityManager,
  ids: readonly string[],
): Promise<dispatch.OfferEngagement[]> {
  if (ids.length === 0) return [];
  const rows = await em.execute<OfferRow[]>(
    `select ${OFFER_COLUMNS} from dispatch.offer where id = any(?::uuid[])`,
    [pgArray(ids)],
  );
  return rows.map(toOfferEngagement);
}

/**
 * One page of the providers dispatch has engaged (on an ASSIGNED / EN_ROUTE job, or holding a pending
 * offer), by provider id after `after`, with those jobs and offers. Both halves walk a partial index in
 * provider order (`job_locksmith_open_idx`, `offer_one_pending_per_provider`).
 */
export async function engagedPage(
  em: EntityManager,
  after: string | null,
  limit: number,
): Promise<{ jobs: dispatch.JobEngagement[]; offers: dispatch.OfferEngagement[]; next: string | null }> {
  const from = after ?? '00000000-0000-0000-0000-000000000000';
  const page = await em.execute<{ provider_id: string }[]>(
    `select provider_id from (
       (select locksmith_id as provider_id from dispatch.job
        where state in ('ASSIGNED', 'EN_ROUTE') and locksmith_id > ? order by locksmith_id limit ?)
       union
       (select provider_id from dispatch.offer
        where status = 'PENDING' and provider_id > ? order by provider_id limit ?)
     ) as engaged order by provider_id limit ?`,
    [from, limit, from, limit, limit],
  );
  const ids = page.map((p) => p.provider_id);
  if (ids.length === 0) return { jobs: [], offers: [], next: null };
  const jobs = await em.execute<JobEngagementRow[]>(
    `select ${JOB_COLUMNS} from dispatch.job
     where state in ('ASSIGNED', 'EN_ROUTE') and locksmith_id = any(?::uuid[])`,
    [pgArray(ids)],
  );
  const offers = await em.execute<OfferRow[]>(
    `select ${OFFER_COLUMNS} from dispatch.offer where status = 'PENDING' and provider_id = any(?::uuid[])`,
    [pgArray(ids)],
  );
  return {
    jobs: jobs.map(toJobEngagement),
    offers: offers.map(toOfferEngagement),
    next: ids.length === limit ? (ids[ids.length - 1] ?? null) : null,
  };
}
