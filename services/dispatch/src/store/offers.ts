import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@trades/runtime';
import type { OfferRow } from './rows.ts';

export interface NewOffer {
  jobId: string;
  providerId: string;
  providerName: string;
  providerPhone: string;
  wave: number;
  distanceKm: number;
  ttlSeconds: number;
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
  const [lock] = await em.execute<{ locked: boolean }[]>(
    `select pg_try_advisory_xact_lock(${PROVIDER_LOCK}) as locked`,
    [offer.providerId],
  );
  if (!lock?.locked) return { kind: 'held' };
  const [inserted] = await em.execute<OfferRow[]>(
    `insert into dispatch.offer (id, job_id, provider_id, provider_name, provider_phone, wave, distance_km, expires_at)
     select ?, ?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?)
     where not exists (select 1 from dispatch.offer where provider_id = ? and status = 'PENDING')
       and not exists (select 1 from dispatch.job where locksmith_id = ? and state in ('ASSIGNED', 'EN_ROUTE'))
     on conflict do nothing returning *`,
    [
      randomUUID(),
      offer.jobId,
      offer.providerId,
      offer.providerName,
      offer.providerPhone,
      offer.wave,
      offer.distanceKm,
      offer.ttlSeconds,
      offer.providerId,
      offer.providerId,
    ],
  );
  if (inserted) return { kind: 'offered', offer: inserted };
  const [why] = await em.execute<{ busy: boolean; before: boolean }[]>(
    `select exists (select 1 from dispatch.job where locksmith_id = ? and state in ('ASSIGNED', 'EN_ROUTE')) as busy,
            exists (select 1 from dispatch.offer where job_id = ? and provider_id = ?) as before`,
    [offer.providerId, offer.jobId, offer.providerId],
  );
  if (why?.busy) return { kind: 'busy' };
  if (why?.before) return { kind: 'offered_before' };
  return { kind: 'held' };
}

export interface PendingOffer extends OfferRow {
  job_code: string;
}

/** The provider's pending offer (there is at most one), with its job's code. */
export async function pendingOfferOf(
  em: EntityManager,
  providerId: string,
): Promise<PendingOffer | undefined> {
  const rows = await em.execute<PendingOffer[]>(
    `select o.*, j.code as job_code from dispatch.offer o join dispatch.job j on j.id = o.job_id
     where o.provider_id = ? and o.status = 'PENDING'`,
    [providerId],
  );
  return rows[0];
}
