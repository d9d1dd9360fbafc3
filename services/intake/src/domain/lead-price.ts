import type { LeadUrgency, PlumbingServiceCode } from '@trades/contracts';

/**
 * What a plumber pays for one exclusive lead, in US cents, by service and urgency: the seed of
 * `intake.lead_price` (operators may add rows for a ZIP prefix; the longest matching prefix wins).
 * Urgent and high-ticket jobs are worth more to the buyer: emergency plumbing needed today is the
 * dearest, a fixture install within the month the cheapest.
 */
export const DEFAULT_LEAD_PRICES: Record<PlumbingServiceCode, Record<LeadUrgency, number>> = {
  emergency_plumbing: { day: 8500, week: 6500, month: 5000 },
  sewer_line: { day: 7500, week: 6000, month: 4500 },
  repiping: { day: 7000, week: 5500, month: 4500 },
  water_heater: { day: 6000, week: 4500, month: 3500 },
  leak_repair: { day: 5000, week: 3800, month: 3000 },
  pipe_repair: { day: 4800, week: 3600, month: 2800 },
  drain_cleaning: { day: 4000, week: 3000, month: 2400 },
  toilet_repair: { day: 3500, week: 2600, month: 2200 },
  fixture_install: { day: 3200, week: 2500, month: 2000 },
};

/**
 * Whether an operator may remove this row of the price table: a ZIP-prefix price may go (the base price
 * applies there again), the base price of a service and urgency may not (a lead must always have a price).
 */
export function isRemovablePrice(zipPrefix: string | null): zipPrefix is string {
  return zipPrefix !== null;
}
