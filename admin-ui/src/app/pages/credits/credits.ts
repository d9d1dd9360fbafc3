import { DatePipe, PercentPipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MatCardModule } from '@angular/material/card';
import { MatChipsModule } from '@angular/material/chips';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';

import { AdminApi } from '../../core/admin-api';
import type { CreditDecision, CreditStatus, LeadCredit } from '../../core/api-types';
import { CREDIT_CHANNEL_LABELS, CREDIT_REASON_LABELS, CREDIT_STATUSES } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { CentsPipe, HumanizePipe, formatCents } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import type { DecideData } from './decide-dialog';
import { DecideDialog } from './decide-dialog';

type View = 'queue' | 'history';

/**
 * Lead credits: the operator queue (requests waiting for review, with the evidence to decide on) and the
 * history of every credit.
 */
@Component({
  selector: 'app-credits',
  imports: [
    CentsPipe,
    DatePipe,
    HumanizePipe,
    MatButtonModule,
    MatButtonToggleModule,
    MatCardModule,
    MatChipsModule,
    MatFormFieldModule,
    MatIconModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    PercentPipe,
    RouterLink,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './credits.html',
  styleUrl: './credits.scss',
})
export class CreditsPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  protected readonly reasonLabels = CREDIT_REASON_LABELS;
  protected readonly channelLabels = CREDIT_CHANNEL_LABELS;
  protected readonly statuses = CREDIT_STATUSES;

  protected readonly view = signal<View>('queue');
  /** The credit being decided: its buttons wait. */
  protected readonly deciding = signal<string | null>(null);

  protected readonly queue = new CursorList<LeadCredit>((page) =>
    this.api.credits({ status: 'review', ...page }),
  );

  protected readonly status = signal<CreditStatus | null>(null);
  /** Set by picking a plumber in the history: their credits only. */
  protected readonly plumber = signal<{ id: string; name: string } | null>(null);
  protected readonly historyFiltered = computed(() => !!this.status() || !!this.plumber());
  protected readonly history = new CursorList<LeadCredit>((page) =>
    this.api.credits({
      status: this.status() ?? undefined,
      plumberId: this.plumber()?.id,
      ...page,
    }),
  );

  private readonly screen = injectScreenSize();
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['lead', 'status', 'amount'],
      tablet: ['lead', 'plumber', 'status', 'amount', 'reason', 'requestedAt'],
      wide: ['lead', 'plumber', 'status', 'amount', 'reason', 'channel', 'requestedAt', 'decision'],
    }),
  );
  protected readonly trackById = (_index: number, credit: LeadCredit): string => credit.id;

  constructor() {
    this.queue.reload();
    // The history loads when first shown, and starts over when a filter changes.
    effect(() => {
      const view = this.view();
      this.status();
      this.plumber();
      if (view === 'history') untracked(() => this.history.reload());
    });
  }

  // Table rows come typed `any` from mat-table: these keep the lookups checked.
  protected reasonLabel(credit: LeadCredit): string {
    return CREDIT_REASON_LABELS[credit.reason];
  }

  protected channelLabel(credit: LeadCredit): string {
    return CREDIT_CHANNEL_LABELS[credit.channel];
  }

  protected show(view: View): void {
    this.view.set(view);
    if (view === 'queue') this.queue.reload();
  }

  protected filterByPlumber(credit: LeadCredit): void {
    this.plumber.set({ id: credit.plumberId, name: credit.plumberName });
  }

  protected clearFilters(): void {
    this.status.set(null);
    this.plumber.set(null);
  }

  protected decide(credit: LeadCredit, decision: DecideData['decision']): void {
    this.dialog
      .open<DecideDialog, DecideData, CreditDecision>(DecideDialog, {
        data: { credit, decision },
        width: '480px',
      })
      .afterClosed()
      .subscribe((answer) => {
        if (!answer) return;
        this.deciding.set(credit.id);
        const request =
          decision === 'approve'
            ? this.api.approveCredit(credit.id, answer)
            : this.api.denyCredit(credit.id, answer.note ?? '');
        request.subscribe({
          next: (decided) => {
            this.deciding.set(null);
            this.queue.items.update((items) => items.filter((item) => item.id !== decided.id));
            this.notifier.info(
              decision === 'approve'
                ? `Credit of ${formatCents(decided.amountCents)} approved for ${decided.plumberName}.`
                : `Credit for lead ${decided.leadCode} denied.`,
            );
          },
          error: (error: unknown) => {
            this.deciding.set(null);
            this.notifier.error(error);
          },
        });
      });
  }
}
