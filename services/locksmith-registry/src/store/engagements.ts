// The busy and pending-offer flags, derived from rows that any delivery order leaves right.
//
// Locks, always in this order: the job's or the offer's own row, then the providers' rows (several in
// id order). Whoever changes a row that a provider's flags are derived from recomputes those flags
// while holding the provider's row lock, so the last recomputation sees every committed change.
import type { dispatch } from '@trades/contracts';
import { pgArray, type EntityManager } from '@trades/runtime';
import { BUSY_STATES, supersedes, type JobFact } from '../domain/job-facts.ts';

/** A provider flag that changed, and from what to what. */
export interface FlagChange {
  providerId: string;
  flag: 'busy' | 'pendingOffer';
  from: string | null;
  to: string | null;
}

export interface JobProjectionRow {
  job_id: string;
  provider_id: string | null;
  state: dispatch.JobState;
  at: Date | string;
  rank: number;
}

const BUSY = BUSY_STATES.map((s) => `'${s}'`).join(', ');

/** The job's busy-making row for a provider: the open job it took last. */
const DERIVED_BUSY = `(select j.job_id from registry.job_projection j
  where j.provider_id = p.id and j.state in (${BUSY}) order by j.at desc, j.job_id limit 1)`;
/**
 * The offer awaiting the provider's reply. Dispatch lets a locksmith hold one pending offer at a time;
 * the registry may briefly hold two (the later offer's "sent" handled before the earlier one's
 * "closed"), and then either keeps the provider out of searches, as it should.
 */
const DERIVED_PENDING = `(select o.offer_id from registry.provider_offer o
  where o.provider_id = p.id and o.status = 'PENDING' order by o.sent_at desc, o.offer_id limit 1)`;

const nonNull = <T>(value: T | null | undefined): value is T => value !== null && value !== undefined;

/**
 * Recomputes `busy_job_id` and `pending_offer_id` of these providers from the job projection and the
 * offer rows, under their row locks (taken in id order), and returns what changed.
 */
export async function refreshFlags(
  em: EntityManager,
  providerIds: readonly (string | null | undefined)[],
): Promise<FlagChange[]> {
  const ids = [...new Set(providerIds.filter(nonNull))].sort();
  if (ids.length === 0) return [];
  // No key update: the lock an update of these columns takes, which an offer row's foreign key check
  // (key share) does not wait for.
  await em.execute(
    'select id from registry.provider where id = any(?::uuid[]) order by id for no key update',
    [pgArray(ids)],
  );
  // A statement of its own, after the locks: it sees whatever the transactions it waited for committed.
  const rows = await em.execute<
    {
      id: string;
      busy_job_id: string | null;
      pending_offer_id: string | null;
      busy: string | null;
      pending: string | null;
    }[]
  >(
    `select p.id, p.busy_job_id, p.pending_offer_id, ${DERIVED_BUSY} as busy, ${DERIVED_PENDING} as pending
     from registry.provider p where p.id = any(?::uuid[]) order by p.id`,
    [pgArray(ids)],
  );
  const changes: FlagChange[] = [];
  for (const row of rows) {
    if (row.busy_job_id === row.busy && row.pending_offer_id === row.pending) continue;
    await em.execute(
      'update registry.provider set busy_job_id = ?, pending_offer_id = ?, updated_at = now() where id = ?',
      [row.busy, row.pending, row.id],
    );
    if (row.busy_job_id !== row.busy)
      changes.push({ providerId: row.id, flag: 'busy', from: row.busy_job_id, to: row.busy });
    if (row.pending_offer_id !== row.pending)
      changes.push({ providerId: row.id, flag: 'pendingOffer', from: row.pending_offer_id, to: row.pending });
  }
  return changes;
}

/**
 * Keeps `fact` as what is known of its job when it is newer than what is kept (a late, older fact
 * changes nothing), and recomputes the flags of the locksmith the job had and the one it has now.
 */
export async function applyJobFact(em: EntityManager, fact: JobFact): Promise<FlagChange[]> {
  const values = [fact.providerId, fact.state, fact.at.toISOString(), fact.rank];
  // The first fact of a job creates its row; two replicas creating it at once meet on the primary key.
  const created = await em.execute<{ job_id: string }[]>(
    `insert into registry.job_projection (job_id, provider_id, state, at, rank) values (?, ?, ?, ?, ?)
     on conflict (job_id) do nothing returning job_id`,
    [fact.jobId, ...values],
  );
  if (created.length > 0) return refreshFlags(em, [fact.providerId]);
  const [kept] = await em.execute<JobProjectionRow[]>(
    'select job_id, provider_id, state, at, rank from registry.job_projection where job_id = ? for update',
    [fact.jobId],
  );
  if (!kept) throw new Error(`the projection of job ${fact.jobId} was removed meanwhile; try again`);
  if (!supersedes(fact, { at: new Date(kept.at), rank: kept.rank })) return [];
  await em.execute(
    `update registry.job_projection set provider_id = ?, state = ?, at = ?, rank = ?, updated_at = now()
     where job_id = ?`,
    [...values, fact.jobId],
  );
  return refreshFlags(em, [kept.provider_id, fact.providerId]);
}

/** Forgets a job dispatch does not know (its row came from an event of a job that does not exist). */
export async function forgetJob(em: EntityManager, jobId: string): Promise<FlagChange[]> {
  const [removed] = await em.execute<{ provider_id: string | null }[]>(
    'delete from registry.job_projection where job_id = ? returning provider_id',
    [jobId],
  );
  return removed ? refreshFlags(em, [removed.provider_id]) : [];
}

/** An offer of a job (jobId) or of a plumbing lead (leadId). */
export interface SentOffer {
  offerId: string;
  providerId: string;
  jobId: string | null;
  leadId?: string | null | undefined;
}

/**
 * An offer out: its row, PENDING unless its closing came first (then it is already there, closed, and
 * stays so). Offers to providers the registry does not have are ignored.
 */
export async function recordOfferSent(em: EntityManager, offer: SentOffer): Promise<FlagChange[]> {
  const inserted = await em.execute<{ offer_id: string }[]>(
    `insert into registry.provider_offer (offer_id, provider_id, job_id, lead_id)
     select ?, ?, ?, ? where exists (select 1 from registry.provider where id = ?)
     on conflict (offer_id) do nothing returning offer_id`,
    [offer.offerId, offer.providerId, offer.jobId, offer.leadId ?? null, offer.providerId],
  );
  return inserted.length > 0 ? refreshFlags(em, [offer.providerId]) : [];
}

export interface ClosedOffer extends SentOffer {
  status: Exclude<dispatch.OfferStatus, 'PENDING'>;
  responseSeconds: number | null;
  /** When dispatch closed it, where known; else now. */
  closedAt?: string | null;
}

/** An offer's outcome, whether or not its "sent" came first; the first outcome recorded stands. */
export async function recordOfferClosed(em: EntityManager, offer: ClosedOffer): Promise<FlagChange[]> {
  const changed = await em.execute<{ offer_id: string }[]>(
    `insert into registry.provider_offer (offer_id, provider_id, job_id, lead_id, status, response_seconds, closed_at)
     select ?, ?, ?, ?, ?, ?, coalesce(?::timestamptz, now()) where exists (select 1 from registry.provider where id = ?)
     on conflict (offer_id) do update
       set status = excluded.status, response_seconds = excluded.response_seconds, closed_at = excluded.closed_at
       where provider_offer.status = 'PENDING'
     returning offer_id`,
    [
      offer.offerId,
      offer.providerId,
      offer.jobId,
      offer.leadId ?? null,
      offer.status,
      offer.responseSeconds,
      offer.closedAt ?? null,
      offer.providerId,
    ],
  );
  return changed.length > 0 ? refreshFlags(em, [offer.providerId]) : [];
}

/** The jobs the registry has someone on (ASSIGNED / EN_ROUTE), by id after `after`. */
export async function openJobIds(em: EntityManager, after: string, limit: number): Promise<string[]> {
  const rows = await em.execute<{ job_id: string }[]>(
    `select job_id from registry.job_projection where state in (${BUSY}) and job_id > ? order by job_id limit ?`,
    [after, limit],
  );
  return rows.map((r) => r.job_id);
}

/** The offers the registry has pending, by id after `after`. */
export async function pendingOfferIds(em: EntityManager, after: string, limit: number): Promise<string[]> {
  const rows = await em.execute<{ offer_id: string }[]>(
    `select offer_id from registry.provider_offer where status = 'PENDING' and offer_id > ?
     order by offer_id limit ?`,
    [after, limit],
  );
  return rows.map((r) => r.offer_id);
}

/**
 * Providers whose flags are not what their rows say (nothing should leave them so: each write changes
 * rows and flags in one transaction). Looks only at providers with a flag set or a row that sets one.
 */
export async function providersWithFlagsOutOfStep(em: EntityManager): Promise<string[]> {
  const rows = await em.execute<{ id: string }[]>(
    `select p.id from registry.provider p
     where p.id in (
         select id from registry.provider where busy_job_id is not null
         union select id from registry.provider where pending_offer_id is not null
         union select provider_id from registry.job_projection where state in (${BUSY})
         union select provider_id from registry.provider_offer where status = 'PENDING')
       and (p.busy_job_id is distinct from ${DERIVED_BUSY}
         or p.pending_offer_id is distinct from ${DERIVED_PENDING})`,
  );
  return rows.map((r) => r.id);
}

/** Drops what is kept of jobs that ended long ago: older than any event that could still arrive. */
export async function pruneEndedJobs(em: EntityManager, olderThanDays: number): Promise<number> {
  const removed = await em.execute<{ job_id: string }[]>(
    `delete from registry.job_projection where job_id in (
       select job_id from registry.job_projection
       where state in ('COMPLETED', 'CANCELED', 'FAILED') and at < now() - make_interval(days => ?)
       limit 5000)
     returning job_id`,
    [olderThanDays],
  );
  return removed.length;
}

/** What the registry keeps of these jobs, by job id. */
export async function keptJobs(
  em: EntityManager,
  jobIds: readonly string[],
): Promise<Map<string, JobProjectionRow>> {
  if (jobIds.length === 0) return new Map();
  const rows = await em.execute<JobProjectionRow[]>(
    'select job_id, provider_id, state, at, rank from registry.job_projection where job_id = any(?::uuid[])',
    [pgArray(jobIds)],
  );
  return new Map(rows.map((row) => [row.job_id, row]));
}

/** The status the registry has for these offers, by offer id. */
export async function offerStatuses(
  em: EntityManager,
  offerIds: readonly string[],
): Promise<Map<string, dispatch.OfferStatus>> {
  if (offerIds.length === 0) return new Map();
  const rows = await em.execute<{ offer_id: string; status: dispatch.OfferStatus }[]>(
    'select offer_id, status from registry.provider_offer where offer_id = any(?::uuid[])',
    [pgArray(offerIds)],
  );
  return new Map(rows.map((row) => [row.offer_id, row.status]));
}

/**
 * Closes an offer the registry has had pending for longer than `graceMs` as withdrawn (CANCELED: no mark
 * on the provider's acceptance rate).
 */
export async function withdrawOffer(
  em: EntityManager,
  offerId: string,
  graceMs: number,
): Promise<FlagChange[]> {
  const [row] = await em.execute<{ provider_id: string; job_id: string }[]>(
    `select provider_id, job_id from registry.provider_offer
     where offer_id = ? and status = 'PENDING' and sent_at < now() - make_interval(secs => ?)`,
    [offerId, graceMs / 1000],
  );
  if (!row) return [];
  return recordOfferClosed(em, {
    offerId,
    providerId: row.provider_id,
    jobId: row.job_id,
    status: 'CANCELED',
    responseSeconds: null,
  });
}
