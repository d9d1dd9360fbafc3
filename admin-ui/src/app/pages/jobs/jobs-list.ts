import { DatePipe } from '@angular/common';
import { Component, DestroyRef, computed, effect, inject, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import type { MatChipListboxChange } from '@angular/material/chips';
import { MatChipsModule } from '@angular/material/chips';
import { MatDatepickerModule } from '@angular/material/datepicker';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { MatTableModule } from '@angular/material/table';
import { Router, RouterLink } from '@angular/router';
import { Subject, debounceTime, interval, tap } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import type { JobState, JobSummary } from '../../core/api-types';
import { JOB_STATES } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { HumanizePipe } from '../../shared/format';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import { JOBS_REFRESH_MS, JobsFilters } from './jobs-filters';
import { ServiceNamePipe } from '../../shared/service-names';

@Component({
  selector: 'app-jobs-list',
  imports: [
    ServiceNamePipe,
    DatePipe,
    FormsModule,
    HumanizePipe,
    MatButtonModule,
    MatChipsModule,
    MatDatepickerModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSlideToggleModule,
    MatTableModule,
    RouterLink,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './jobs-list.html',
  styleUrl: './jobs-list.scss',
})
export class JobsList {
  private readonly api = inject(AdminApi);
  private readonly router = inject(Router);
  protected readonly filters = inject(JobsFilters);

  protected readonly allStates = JOB_STATES;
  private readonly screen = injectScreenSize();
  /** Fewer columns on small screens; the job page has everything. */
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['code', 'state', 'service', 'createdAt'],
      tablet: ['code', 'state', 'service', 'customer', 'locksmith', 'createdAt'],
      wide: ['code', 'state', 'service', 'customer', 'address', 'locksmith', 'createdAt'],
    }),
  );
  protected readonly lastUpdated = signal<Date | null>(null);

  protected readonly list = new CursorList<JobSummary>((page) =>
    this.api.jobs({ ...this.filters.query(), ...page }).pipe(tap(() => this.lastUpdated.set(new Date()))),
  );
  protected readonly trackById = (_index: number, job: JobSummary): string => job.id;

  private readonly search = new Subject<string>();

  constructor() {
    // Any filter change starts the list over.
    effect(() => {
      this.filters.query();
      untracked(() => this.list.reload());
    });

    this.search.pipe(debounceTime(300), takeUntilDestroyed()).subscribe((q) => this.filters.q.set(q));

    interval(JOBS_REFRESH_MS)
      .pipe(takeUntilDestroyed(inject(DestroyRef)))
      .subscribe(() => {
        if (this.filters.autoRefresh() && document.visibilityState !== 'hidden') this.list.refresh();
      });
  }

  protected statesChanged(change: MatChipListboxChange): void {
    const value: unknown = change.value;
    const states = Array.isArray(value)
      ? value.filter((state): state is JobState => (JOB_STATES as readonly unknown[]).includes(state))
      : [];
    this.filters.states.set(states);
  }

  protected searchChanged(value: string): void {
    this.search.next(value);
  }

  protected open(job: JobSummary): void {
    void this.router.navigate(['/jobs', job.id]);
  }
}
