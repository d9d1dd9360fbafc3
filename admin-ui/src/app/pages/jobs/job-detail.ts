import { DatePipe } from '@angular/common';
import { Component, DestroyRef, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatDividerModule } from '@angular/material/divider';
import { MatIconModule } from '@angular/material/icon';
import { MatMenuModule } from '@angular/material/menu';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTooltipModule } from '@angular/material/tooltip';
import { RouterLink } from '@angular/router';
import type { Observable, Subscription } from 'rxjs';
import { EMPTY, catchError, filter, interval, switchMap } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import { apiErrorMessage } from '../../core/api-error';
import type { DispatchAction, JobDetail, JobState, Locksmith, Offer } from '../../core/api-types';
import type { ConfirmData } from '../../shared/confirm-dialog';
import { ConfirmDialog } from '../../shared/confirm-dialog';
import { CentsPipe, HumanizePipe, SecondsPipe } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import type { AssignData } from './dialogs/assign-dialog';
import { AssignDialog } from './dialogs/assign-dialog';
import type { RefundData, RefundRequest } from './dialogs/refund-dialog';
import { RefundDialog } from './dialogs/refund-dialog';
import { JOBS_REFRESH_MS } from './jobs-filters';
import { ServiceNamePipe } from '../../shared/service-names';

/** What grouping by wave needs of an offer: jobs' and leads' offers both have it. */
export type WaveOffer = Pick<Offer, 'wave' | 'status' | 'sentAt'>;

export interface Wave<T extends WaveOffer = Offer> {
  wave: number;
  offers: T[];
  accepted: number;
  declined: number;
  expired: number;
  pending: number;
}

/**
 * Who an actor id is: a locksmith's id (their YES, OMW, DONE) reads as their name, taken from the job's
 * assignment or its offers; operators (emails), services and `system` read as they are.
 */
export function actorNames(job: JobDetail | null): (actor: string) => string {
  const names = new Map<string, string>();
  for (const offer of job?.offers ?? [])
    if (offer.locksmithName) names.set(offer.locksmithId, offer.locksmithName);
  if (job?.locksmithId && job.locksmithName) names.set(job.locksmithId, job.locksmithName);
  return (actor) => names.get(actor) ?? actor;
}

/** Offers grouped by wave, first wave first; each wave in the order the SMS went out. */
export function groupByWave<T extends WaveOffer>(offers: readonly T[]): Wave<T>[] {
  const waves = new Map<number, T[]>();
  for (const offer of offers) waves.set(offer.wave, [...(waves.get(offer.wave) ?? []), offer]);
  return [...waves.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, list]) => {
      const sorted = [...list].sort((a, b) => a.sentAt.localeCompare(b.sentAt));
      const count = (status: Offer['status']): number => sorted.filter((o) => o.status === status).length;
      return {
        wave,
        offers: sorted,
        accepted: count('ACCEPTED'),
        declined: count('DECLINED'),
        expired: count('EXPIRED'),
        pending: count('PENDING'),
      };
    });
}

const FINISHED: readonly JobState[] = ['COMPLETED', 'CANCELED', 'FAILED'];

@Component({
  selector: 'app-job-detail',
  imports: [
    ServiceNamePipe,
    CentsPipe,
    DatePipe,
    HumanizePipe,
    MatButtonModule,
    MatCardModule,
    MatDividerModule,
    MatIconModule,
    MatMenuModule,
    MatProgressBarModule,
    MatTooltipModule,
    RouterLink,
    SecondsPipe,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './job-detail.html',
  styleUrl: './job-detail.scss',
})
export class JobDetailPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  /** Route parameter `:id`. */
  readonly id = input.required<string>();

  protected readonly job = signal<JobDetail | null>(null);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  /** An action is in flight: the action buttons wait for it. */
  protected readonly busy = signal(false);

  protected readonly waves = computed(() => groupByWave(this.job()?.offers ?? []));
  protected readonly finished = computed(() => {
    const job = this.job();
    return !!job && FINISHED.includes(job.state);
  });
  // Newest first; entries with the same time keep their recorded order, reversed.
  protected readonly timeline = computed(() =>
    [...(this.job()?.timeline ?? [])].reverse().sort((a, b) => b.at.localeCompare(a.at)),
  );
  protected readonly actorName = computed(() => actorNames(this.job()));
  protected readonly messages = computed(() =>
    [...(this.job()?.messages ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
  );
  protected readonly refundable = computed(() => {
    const payment = this.job()?.payment;
    if (!payment) return 0;
    return (payment.capturedCents || payment.amountCents) - payment.refundedCents;
  });

  private request: Subscription | undefined;

  constructor() {
    effect(() => {
      const id = this.id();
      untracked(() => this.load(id));
    });

    interval(JOBS_REFRESH_MS)
      .pipe(
        filter(
          () => document.visibilityState !== 'hidden' && !this.busy() && !this.loading() && !!this.job(),
        ),
        // A failed refresh keeps what is on screen; the next tick tries again.
        switchMap(() => this.api.job(this.id()).pipe(catchError(() => EMPTY))),
        takeUntilDestroyed(),
      )
      .subscribe((job) => this.job.set(job));
    inject(DestroyRef).onDestroy(() => this.request?.unsubscribe());
  }

  protected load(id = this.id()): void {
    this.request?.unsubscribe();
    this.loading.set(true);
    this.error.set(null);
    this.request = this.api.job(id).subscribe({
      next: (job) => {
        this.job.set(job);
        this.loading.set(false);
      },
      error: (error: unknown) => {
        this.loading.set(false);
        this.error.set(apiErrorMessage(error));
      },
    });
  }

  protected dispatch(action: DispatchAction): void {
    const job = this.job();
    if (!job) return;
    if (action === 'cancel' || action === 'redispatch') {
      const data: ConfirmData =
        action === 'cancel'
          ? {
              title: `Cancel job ${job.code}?`,
              message:
                'Pending offers are withdrawn and the customer is told the job is canceled. The deposit is released, or refunded if it was captured.',
              confirm: 'Cancel job',
              destructive: true,
            }
          : {
              title: `Re-dispatch job ${job.code}?`,
              message: job.locksmithName
                ? `${job.locksmithName} loses the job and it is offered again to other locksmiths.`
                : 'The job is offered again to nearby locksmiths.',
              confirm: 'Re-dispatch',
              destructive: true,
            };
      this.dialog
        .open<ConfirmDialog, ConfirmData, boolean>(ConfirmDialog, { data, width: '440px' })
        .afterClosed()
        .subscribe((confirmed) => {
          if (confirmed) this.run(this.api.dispatch(job.id, action), DONE[action]);
        });
      return;
    }
    this.run(this.api.dispatch(job.id, action), DONE[action]);
  }

  protected assign(): void {
    const job = this.job();
    if (!job) return;
    this.dialog
      .open<AssignDialog, AssignData, Locksmith>(AssignDialog, {
        data: { jobCode: job.code, serviceCode: job.serviceCode },
        width: '520px',
        autoFocus: 'input',
      })
      .afterClosed()
      .subscribe((locksmith) => {
        if (locksmith) {
          this.run(this.api.assign(job.id, locksmith.id), `Assigned to ${locksmith.name}.`);
        }
      });
  }

  protected refund(): void {
    const job = this.job();
    if (!job?.payment) return;
    this.dialog
      .open<RefundDialog, RefundData, RefundRequest>(RefundDialog, {
        data: { jobCode: job.code, payment: job.payment },
        width: '460px',
      })
      .afterClosed()
      .subscribe((refund) => {
        if (refund) this.run(this.api.refund(job.id, refund), 'Refund requested.');
      });
  }

  private run(action: Observable<JobDetail>, done: string): void {
    this.busy.set(true);
    action.subscribe({
      next: (job) => {
        this.job.set(job);
        this.busy.set(false);
        this.notifier.info(done);
      },
      error: (error: unknown) => {
        this.busy.set(false);
        this.notifier.error(error);
      },
    });
  }
}

const DONE: Record<DispatchAction, string> = {
  start: 'Dispatch started.',
  pause: 'Dispatch paused.',
  resume: 'Dispatch resumed.',
  cancel: 'Job canceled.',
  redispatch: 'Job sent back to dispatch.',
};
