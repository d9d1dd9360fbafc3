import { PercentPipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import type { Subscription } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { LeadAnalytics } from '../../core/api-types';
import { CentsPipe, SecondsPipe } from '../../shared/format';
import { StatePanel } from '../../shared/state-panel';

type FunnelKey = keyof LeadAnalytics['funnel'];

export interface LeadFunnelRow {
  key: FunnelKey;
  label: string;
  count: number;
  /** Share of the leads received. */
  ofReceived: number;
  /** Share of the step before (credited: of those sold). */
  ofPrevious: number;
}

const STEPS: readonly { key: FunnelKey; label: string }[] = [
  { key: 'received', label: 'Received' },
  { key: 'accepted', label: 'Accepted' },
  { key: 'offered', label: 'Offered' },
  { key: 'sold', label: 'Sold' },
  { key: 'completed', label: 'Completed' },
];

/** received → accepted → offered → sold → completed, then credited (a share of those sold). */
export function leadFunnelRows(funnel: LeadAnalytics['funnel']): LeadFunnelRow[] {
  const received = funnel.received;
  const share = (part: number, whole: number): number => (whole ? part / whole : 0);
  let previous = received;
  const rows = STEPS.map(({ key, label }) => {
    const count = funnel[key];
    const row = { key, label, count, ofReceived: share(count, received), ofPrevious: share(count, previous) };
    previous = count;
    return row;
  });
  rows.push({
    key: 'credited',
    label: 'Credited',
    count: funnel.credited,
    ofReceived: share(funnel.credited, received),
    ofPrevious: share(funnel.credited, funnel.sold),
  });
  return rows;
}

type Preset = '7' | '30' | '90' | 'custom';

function daysAgo(days: number): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - days + 1);
}

/** The operator's own time zone: days in the tables are their days. */
function localTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

@Component({
  selector: 'app-lead-analytics',
  imports: [
    CentsPipe,
    FormsModule,
    MatButtonToggleModule,
    MatCardModule,
    MatDatepickerModule,
    MatFormFieldModule,
    MatInputModule,
    MatProgressBarModule,
    PercentPipe,
    SecondsPipe,
    StatePanel,
  ],
  templateUrl: './lead-analytics.html',
  styleUrl: './lead-analytics.scss',
})
export class LeadAnalyticsPage {
  private readonly api = inject(AdminApi);

  protected readonly preset = signal<Preset>('30');
  protected readonly from = signal<Date | null>(daysAgo(30));
  protected readonly to = signal<Date | null>(null);

  protected readonly analytics = signal<LeadAnalytics | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly funnel = computed(() => {
    const analytics = this.analytics();
    return analytics ? leadFunnelRows(analytics.funnel) : [];
  });
  protected readonly empty = computed(() => (this.analytics()?.funnel.received ?? 0) === 0);
  protected readonly rejected = computed(() => {
    const analytics = this.analytics();
    if (!analytics) return [];
    const { invalid, duplicate, notServed } = analytics.rejected;
    const total = invalid + duplicate + notServed;
    return [
      { label: 'Invalid', count: invalid },
      { label: 'Duplicate', count: duplicate },
      { label: 'Not served', count: notServed },
    ].map((row) => ({ ...row, share: total ? row.count / total : 0 }));
  });
  protected readonly rejectedTotal = computed(() => this.rejected().reduce((sum, row) => sum + row.count, 0));
  /** The day with the most revenue sets the scale of the revenue and credit bars. */
  protected readonly dayScale = computed(() =>
    Math.max(
      1,
      ...(this.analytics()?.byDay ?? []).map((day) => Math.max(day.revenueCents, day.creditedCents)),
    ),
  );

  private request: Subscription | undefined;

  constructor() {
    effect(() => {
      const range = { from: this.from(), to: this.to() };
      untracked(() => this.load(range));
    });
  }

  protected choose(preset: Preset): void {
    this.preset.set(preset);
    if (preset !== 'custom') {
      this.from.set(daysAgo(Number(preset)));
      this.to.set(null);
    }
  }

  protected custom(edge: 'from' | 'to', date: Date | null): void {
    this.preset.set('custom');
    this[edge].set(date);
  }

  protected load(range = { from: this.from(), to: this.to() }): void {
    this.request?.unsubscribe();
    this.loading.set(true);
    this.error.set(null);
    const to = range.to
      ? new Date(range.to.getFullYear(), range.to.getMonth(), range.to.getDate() + 1)
      : null;
    this.request = this.api
      .leadAnalytics({ from: range.from?.toISOString(), to: to?.toISOString(), timeZone: localTimeZone() })
      .subscribe({
        next: (analytics) => {
          this.analytics.set(analytics);
          this.loading.set(false);
        },
        error: (error: unknown) => {
          this.loading.set(false);
          this.error.set(apiErrorMessage(error));
        },
      });
  }

  protected rate(part: number, whole: number): number | null {
    return whole ? part / whole : null;
  }
}
