import type { LeadUrgency } from '../../core/api-types';

/** How soon the homeowner needs the work, as the price table's columns read. */
export const URGENCY_LABELS: Record<LeadUrgency, string> = {
  day: 'Within a day',
  week: 'Within a week',
  month: 'Within a month',
};
