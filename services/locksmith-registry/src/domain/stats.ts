import type { Static } from 'typebox';
import type { registry } from '@trades/contracts';

export interface OfferTally {
  offers: number;
  accepted: number;
  declined: number;
  expired: number;
  medianResponseSeconds: number | null;
}

/**
 * Acceptance rate counts only offers the provider could answer: accepted, declined or left to expire.
 * Offers withdrawn because someone else took the job, or undeliverable SMS, say nothing about them.
 */
export function providerStats(tally: OfferTally): Static<typeof registry.ProviderStats> {
  const answerable = tally.accepted + tally.declined + tally.expired;
  return {
    offers: tally.offers,
    accepted: tally.accepted,
    declined: tally.declined,
    expired: tally.expired,
    acceptanceRate: answerable === 0 ? null : tally.accepted / answerable,
    medianResponseSeconds: tally.medianResponseSeconds,
  };
}
