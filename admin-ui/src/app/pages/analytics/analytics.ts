import { PercentPipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { FormsModule } from '@angular/forms';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import type { Subscription } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { Funnel, FunnelStep } from '../../core/api-types';
import { FUNNEL_STEPS } from '../../core/api-types';
import { StatePanel } from '../../shared/state-panel';

export interface FunnelRow {
  step: FunnelStep;
  label: string;
  sessions: number;
  /** Share of the sessions that started. */
  ofStart: number;
  /** Share of the previous step's sessions that reached this one. */
  ofPrevious: number;
}

const LABELS: Record<FunnelStep, string> = {
  start: 'Started',
  location: 'Gave a location',
  service: 'Chose a service',
  payment: 'Reached payment',
  complete: 'Booked',
};

/** The funnel in step order, with conversion from the start and from the step before. */
export function funnelRows(funnel: Funnel): FunnelRow[] {
  const counts = new Map(funnel.steps.map((entry) => [entry.step, entry.sessions]));
  const start = counts.get('start') ?? 0;
  let previous = start;
  return FUNNEL_STEPS.map((step) => {
    const sessions = counts.get(step) ?? 0;
    const row: FunnelRow = {
      step,
      label: LABELS[step],
      sessions,
      ofStart: start ? sessions / start : 0,
      ofPrevious: previous ? sessions / previous : 0,
    };
    previous = sessions;
    return row;
  });
}

type Preset = '1' | '7' | '30' | 'custom';

function daysAgo(days: number): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - days + 1);
}

@Component({
  selector: 'app-analytics',
  imports: [
    FormsModule,
    MatButtonToggleModule,
    MatCardModule,
    MatDatepickerModule,
    MatFormFieldModule,
    MatInputModule,
    PercentPipe,
    StatePanel,
  ],
  templateUrl: './analytics.html',
  styleUrl: './analytics.scss',
})
export class AnalyticsPage {
  private readonly api = inject(AdminApi);

  protected readonly preset = signal<Preset>('7');
  protected readonly from = signal<Date | null>(daysAgo(7));
  protected readonly to = signal<Date | null>(null);

  protected readonly funnel = signal<Funnel | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly rows = computed(() => {
    const funnel = this.funnel();
    return funnel ? funnelRows(funnel) : [];
  });
  protected readonly overall = computed(() => this.rows().at(-1)?.ofStart ?? 0);
  protected readonly empty = computed(() => (this.rows()[0]?.sessions ?? 0) === 0);

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
    this.request = this.api.funnel({ from: range.from?.toISOString(), to: to?.toISOString() }).subscribe({
      next: (funnel) => {
        this.funnel.set(funnel);
        this.loading.set(false);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }
}
