import { randomUUID } from 'node:crypto';
import type { registry } from '@trades/contracts';
import type { EntityManager } from '@trades/runtime';
import { capsJson } from './lead-caps.ts';
import type { OfferRow } from './rows.ts';

/** What is offered: a job (to a locksmith) or a lead (to a plumber). */
export type Offerable = { kind: 'job'; id: string } | { kind: 'lead'; id: string };

export interface NewOffer {
  of: Offerable;
  providerId: string;
  providerName: string;
  providerPhone: string;
  providerEmail?: string;
  wave: number;
  distanceKm: number;
  ttlSeconds: number;
  /** A plumber's caps as the registry gave them with the candidate: a YES is checked against them. */
  providerCaps?: registry.PlumberCaps;
}

/** What offering a job to one provider came to. */
export type OfferAttempt =
  | { kind: 'offered'; offer: OfferRow }
  /** They hold another pending offer, or a transaction still open is offering them work: free again soon. */
  | { kind: 'held' }
  /** They are on a job (ASSIGNED or EN_ROUTE). */
  | { kind: 'busy' }
  /** They were offered this job before. */
  | { kind: 'offered_before' };

/**
 * The provider's transaction-scoped advisory lock. Everything that gives a provider work holds it: a wave
 * offering them a job (only if it is free: {@link insertPendingOffer}), their YES being accepted and an
 * operator assigning them ({@link lockProvider}, waiting for it). Taken before any job row.
 */
const PROVIDER_LOCK = `hashtextextended('dispatch.offer.provider:' || ?, 0)`;

/**
 * Waits for the provider's lock, held until commit: meanwhile no wave can offer them a job and no other
 * YES or assignment of theirs can be decided, and every one before has committed.
 */
export async function lockProvider(em: EntityManager, providerId: string): Promise<void> {
  await em.execute(`select pg_advisory_xact_lock(${PROVIDER_LOCK})`, [providerId]);
}

/** Takes the provider's lock only if nobody holds it (never waits): true when taken. */
export async function tryLockProvider(em: EntityManager, providerId: string): Promise<boolean> {
  const [lock] = await em.execute<{ locked: boolean }[]>(
    `select pg_try_advisory_xact_lock(${PROVIDER_LOCK}) as locked`,
    [providerId],
  );
  return lock?.locked === true;
}

/**
 * Offers a job to one provider: the new pending offer, or why not.
 *
 * The provider's lock is only tried, never waited for. A plain `on conflict do nothing` waits for an
 * open transaction that inserted a pending offer for the same provider, and two waves that reach two
 * shared providers in opposite orders (jobs at different places rank them differently) would wait for
 * each other: PostgreSQL breaks that deadlock by failing one of them. With the lock, a wave skips a
 * provider another wave is offering right now (or whose YES or assignment is being decided), as it
 * skips one who holds a pending offer.
 *
 * The insert is a statement of its own, after the lock: its snapshot sees everything committed by
 * whoever held the lock before, so a provider just given a job is seen busy. It also skips a provider
 * whose committed pending offer another transaction is closing right now instead of waiting for it.
 */
export async function insertPendingOffer(em: EntityManager, offer: NewOffer): Promise<OfferAttempt> {
  if (!(await tryLockProvider(em, offer.providerId))) return { kind: 'held' };
  const [inserted] = await em.execute<OfferRow[]>(
    `insert into dispatch.offer (id, job_id, lead_id, provider_id, provider_name, provider_phone, provider_email, wave, distance_km, expires_at, provider_caps)
     select ?, ?, ?, ?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?), ?::jsonb
     where not exists (select 1 from dispatch.offer where provider_id = ? and status = 'PENDING')
       and not exists (select 1 from dispatch.job where locksmith_id = ? and state in ('ASSIGNED', 'EN_ROUTE'))
     on conflict do nothing returning *`,
    [
      randomUUID(),
      offer.of.kind === 'job' ? offer.of.id : null,
      offer.of.kind === 'lead' ? offer.of.id : null,
      offer.providerId,
      offer.providerName,
      offer.providerPhone,
      offer.providerEmail ?? null,
      offer.wave,
      offer.distanceKm,
      offer.ttlSeconds,
      offer.providerCaps === undefined ? null : capsJson(offer.providerCaps),
      offer.providerId,
      offer.providerId,
    ],
  );
  if (inserted) return { kind: 'offered', offer: inserted };
  const [why] = await em.execute<{ busy: boolean; before: boolean }[]>(
    `select exists (select 1 from dispatch.job where locksmith_id = ? and state in ('ASSIGNED', 'EN_ROUTE')) as busy,
            exists (select 1 from dispatch.offer where ${offer.of.kind === 'job' ? 'job_id' : 'lead_id'} = ? and provider_id = ?) as before`,
    [offer.providerId, offer.of.id, offer.providerId],
  );
  if (why?.busy) return { kind: 'busy' };
  if (why?.before) return { kind: 'offered_before' };
  return { kind: 'held' };
}

export interface PendingOffer extends OfferRow {
  job_id: string;
  job_code: string;
}

export interface PendingLeadOffer extends OfferRow {
  lead_id: string;
  lead_code: string;
}

/** The provider's pending offer (there is at most one), with its job's or lead's code. */
export async function pendingOfferOf(
  em: EntityManager,
  providerId: string,
): Promise<{ job?: PendingOffer; lead?: PendingLeadOffer }> {
  const rows = await em.execute<(OfferRow & { job_code: string | null; lead_code: string | null })[]>(
    `select o.*, j.code as job_code, l.code as lead_code from dispatch.offer o
       left join dispatch.job j on j.id = o.job_id
       left join dispatch.lead l on l.id = o.lead_id
     where o.provider_id = ? and o.status = 'PENDING'`,
    [providerId],
  );
  const row = rows[0];
  if (!row) return {};
  const { job_id: jobId, job_code: jobCode, lead_id: leadId, lead_code: leadCode } = row;
  if (jobId !== null && jobCode !== null) return { job: { ...row, job_id: jobId, job_code: jobCode } };
  if (leadId !== null && leadCode !== null) return { lead: { ...row, lead_id: leadId, lead_code: leadCode } };
  return {};
}

/** The provider's pending job offer, if the offer they hold is for a job. */
export async function pendingJobOfferOf(
  em: EntityManager,
  providerId: string,
): Promise<PendingOffer | undefined> {
  return (await pendingOfferOf(em, providerId)).job;
}
