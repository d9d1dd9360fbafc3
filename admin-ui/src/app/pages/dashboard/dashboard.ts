import { DatePipe } from '@angular/common';
import { Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatIconModule } from '@angular/material/icon';
import { RouterLink } from '@angular/router';
import { Subject, catchError, forkJoin, map, merge, of, switchMap, timer } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { Dashboard, JobState, JobSummary } from '../../core/api-types';
import { JOB_STATES } from '../../core/api-types';
import { formatSeconds } from '../../shared/format';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import { JobsFilters } from '../jobs/jobs-filters';
import { ServiceNamePipe } from '../../shared/service-names';

/** Jobs nobody has taken yet: these are the ones a customer is waiting on. */
const WAITING: readonly JobState[] = ['CREATED', 'DISPATCHING', 'OFFERED'];
const REFRESH_MS = 15_000;

interface DashboardView {
  counts: Dashboard;
  waiting: JobSummary[];
}

type Load =
  { status: 'loading' } | { status: 'ok'; view: DashboardView } | { status: 'error'; message: string };

@Component({
  selector: 'app-dashboard',
  imports: [
    ServiceNamePipe,
    DatePipe,
    MatButtonModule,
    MatCardModule,
    MatIconModule,
    RouterLink,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './dashboard.html',
  styleUrl: './dashboard.scss',
})
export class DashboardPage {
  private readonly api = inject(AdminApi);
  private readonly jobsFilters = inject(JobsFilters);
  private readonly refreshNow = new Subject<void>();

  protected readonly state = signal<Load>({ status: 'loading' });
  /** The last good data, kept on screen while a refresh fails. */
  protected readonly view = signal<DashboardView | null>(null);
  protected readonly now = signal(Date.now());

  protected readonly byState = computed(() => {
    const counts = this.view()?.counts.jobsByState ?? {};
    return JOB_STATES.map((state) => ({ state, count: counts[state] ?? 0 })).filter(
      (entry) => entry.count > 0,
    );
  });

  constructor() {
    merge(timer(0, REFRESH_MS), this.refreshNow)
      .pipe(
        switchMap(() =>
          forkJoin({
            counts: this.api.dashboard(),
            waiting: this.api
              .jobs({ state: WAITING, sort: 'createdAt:asc', limit: 10 })
              .pipe(map((page) => page.items)),
          }).pipe(
            map((view): Load => ({ status: 'ok', view })),
            catchError((error: unknown) => of<Load>({ status: 'error', message: apiErrorMessage(error) })),
          ),
        ),
        takeUntilDestroyed(),
      )
      .subscribe((state) => {
        this.state.set(state);
        this.now.set(Date.now());
        if (state.status === 'ok') this.view.set(state.view);
      });
  }

  protected readonly errorMessage = computed(() => {
    const state = this.state();
    return state.status === 'error' ? state.message : '';
  });

  protected waitingMinutes(job: JobSummary): number {
    return Math.max(0, Math.floor((this.now() - Date.parse(job.createdAt)) / 60_000));
  }

  protected waitingLabel(job: JobSummary): string {
    const minutes = this.waitingMinutes(job);
    return minutes < 1 ? 'just now' : formatSeconds(minutes * 60);
  }

  /** Opens the jobs list already filtered to one state. */
  protected showState(state: JobState): void {
    this.jobsFilters.clear();
    this.jobsFilters.states.set([state]);
  }

  protected retry(): void {
    this.state.set({ status: 'loading' });
    this.refreshNow.next();
  }
}
