import { Injectable, computed, signal } from '@angular/core';

import type { JobQuery, JobState } from '../../core/api-types';

/** How often job pages re-read themselves while the tab is visible. */
export const JOBS_REFRESH_MS = 10_000;

/** Local midnight of the day after `date`, so a range's end day is included in full. */
function dayAfter(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1);
}

/**
 * The jobs list filters. Kept at the root so that opening a job and coming back keeps
 * what the operator was looking at.
 */
@Injectable({ providedIn: 'root' })
export class JobsFilters {
  readonly states = signal<readonly JobState[]>([]);
  readonly from = signal<Date | null>(null);
  readonly to = signal<Date | null>(null);
  readonly q = signal('');
  readonly autoRefresh = signal(true);

  readonly active = computed(
    () => this.states().length > 0 || !!this.from() || !!this.to() || this.q().trim().length > 0,
  );

  readonly query = computed<JobQuery>(() => {
    const from = this.from();
    const to = this.to();
    return {
      state: this.states(),
      from: from?.toISOString(),
      to: to ? dayAfter(to).toISOString() : undefined,
      q: this.q().trim() || undefined,
    };
  });

  clear(): void {
    this.states.set([]);
    this.from.set(null);
    this.to.set(null);
    this.q.set('');
  }
}
