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

/**
 * Offers a job to one locksmith: the new pending offer, or undefined when the locksmith already holds a
 * pending offer (the partial unique index), was offered this job before, or is being offered another
 * job by a transaction still open.
 *
 * That last case is why the insert first takes a transaction-scoped advisory lock on the locksmith, and
 * only if it is free. A plain `on conflict do nothing` waits for an open transaction that inserted a
 * pending offer for the same locksmith, and two waves that reach two shared locksmiths in opposite orders
 * (jobs at different places rank them differently) wait for each other: PostgreSQL breaks that deadlock
 * by failing one of them. With the lock, a wave skips a locksmith another wave is offering right now, as
 * it would skip one who holds a pending offer. The lock is released at commit, when the other offer is
 * visible, so the index alone decides from then on.
 */
export async function insertPendingOffer(em: EntityManager, offer: NewOffer): Promise<OfferRow | undefined> {
  const [inserted] = await em.execute<OfferRow[]>(
    `insert into dispatch.offer (id, job_id, provider_id, provider_name, provider_phone, wave, distance_km, expires_at)
     select ?, ?, ?, ?, ?, ?, ?, now() + make_interval(secs => ?)
     where pg_try_advisory_xact_lock(hashtextextended('dispatch.offer.provider:' || ?, 0))
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
    ],
  );
  return inserted;
}
