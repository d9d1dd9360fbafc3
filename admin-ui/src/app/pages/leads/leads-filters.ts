import { Injectable, computed, signal } from '@angular/core';

import type { LeadQuery, LeadStatus, LeadUrgency } from '../../core/api-types';

/** Local midnight of the day after `date`, so a range's end day is included in full. */
function dayAfter(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1);
}

/**
 * The leads list filters. Kept at the root so that opening a lead and coming back keeps what the
 * operator was looking at.
 */
@Injectable({ providedIn: 'root' })
export class LeadsFilters {
  readonly status = signal<LeadStatus | null>(null);
  readonly service = signal<string | null>(null);
  readonly urgency = signal<LeadUrgency | null>(null);
  /** As typed; only a whole 5-digit ZIP filters. */
  readonly zip = signal('');
  readonly partnerId = signal<string | null>(null);
  readonly from = signal<Date | null>(null);
  readonly to = signal<Date | null>(null);

  readonly zipValid = computed(() => {
    const zip = this.zip().trim();
    return zip === '' || /^[0-9]{5}$/.test(zip);
  });

  readonly active = computed(
    () =>
      !!this.status() ||
      !!this.service() ||
      !!this.urgency() ||
      this.zip().trim() !== '' ||
      !!this.partnerId() ||
      !!this.from() ||
      !!this.to(),
  );

  // A keystroke in the ZIP field that does not change the query must not reload the list.
  readonly query = computed<LeadQuery>(
    () => {
      const from = this.from();
      const to = this.to();
      const zip = this.zip().trim();
      return {
        status: this.status() ?? undefined,
        service: this.service() ?? undefined,
        urgency: this.urgency() ?? undefined,
        zip: /^[0-9]{5}$/.test(zip) ? zip : undefined,
        partnerId: this.partnerId() ?? undefined,
        from: from?.toISOString(),
        to: to ? dayAfter(to).toISOString() : undefined,
      };
    },
    { equal: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );

  clear(): void {
    this.status.set(null);
    this.service.set(null);
    this.urgency.set(null);
    this.zip.set('');
    this.partnerId.set(null);
    this.from.set(null);
    this.to.set(null);
  }
}
