import { PercentPipe } from '@angular/common';
import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import type { MatSlideToggleChange } from '@angular/material/slide-toggle';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Subject, debounceTime } from 'rxjs';

import { AdminApi } from '../../core/admin-api';
import type { CardStatus, LocksmithStatus, Plumber } from '../../core/api-types';
import type { ConfirmData } from '../../shared/confirm-dialog';
import { ConfirmDialog } from '../../shared/confirm-dialog';
import { CursorList } from '../../shared/cursor-list';
import { CentsPipe, SecondsPipe } from '../../shared/format';
import { LeadServiceNamePipe } from '../../shared/lead-services';
import { Notifier } from '../../shared/notifier';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import type { PlumberDialogData } from './plumber-dialog';
import { PlumberDialog } from './plumber-dialog';
import { CAP_LABELS, CARD_LABELS, capUsage, coverageText, plumberName } from './plumber-format';

@Component({
  selector: 'app-plumbers',
  imports: [
    CentsPipe,
    LeadServiceNamePipe,
    MatButtonModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatSlideToggleModule,
    MatTableModule,
    MatTooltipModule,
    PercentPipe,
    SecondsPipe,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './plumbers.html',
  styleUrl: './plumbers.scss',
})
export class PlumbersPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  protected readonly nameOf = plumberName;
  protected readonly coverageOf = coverageText;
  protected readonly capsOf = capUsage;

  protected readonly q = signal('');
  protected readonly status = signal<LocksmithStatus | 'any'>('any');
  protected readonly card = signal<CardStatus | 'any'>('any');
  protected readonly filtered = computed(
    () => !!this.q() || this.status() !== 'any' || this.card() !== 'any',
  );
  /** Rows with a change in flight (availability, card link). */
  protected readonly saving = signal<ReadonlySet<string>>(new Set());

  private readonly screen = injectScreenSize();
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['name', 'available', 'actions'],
      tablet: ['name', 'card', 'available', 'caps', 'leads', 'returns', 'actions'],
      wide: [
        'name',
        'services',
        'coverage',
        'card',
        'available',
        'caps',
        'leads',
        'spend',
        'acceptance',
        'returns',
        'actions',
      ],
    }),
  );

  private readonly query = computed(() => {
    const status = this.status();
    const card = this.card();
    return {
      q: this.q() || undefined,
      status: status === 'any' ? undefined : status,
      cardStatus: card === 'any' ? undefined : card,
    };
  });

  protected readonly list = new CursorList<Plumber>((page) =>
    this.api.plumbers({ ...this.query(), ...page }),
  );
  protected readonly trackById = (_index: number, plumber: Plumber): string => plumber.id;

  private readonly search = new Subject<string>();

  constructor() {
    effect(() => {
      this.query();
      untracked(() => this.list.reload());
    });
    this.search.pipe(debounceTime(300), takeUntilDestroyed()).subscribe((q) => this.q.set(q.trim()));
  }

  protected cardLabel(plumber: Plumber): string {
    return CARD_LABELS[plumber.card.status];
  }

  /** "daily cap" when they are at one now: they get no offers until it resets. */
  protected atCap(plumber: Plumber): string | null {
    const cap = plumber.leadStats?.usage.atCap;
    return cap ? CAP_LABELS[cap] : null;
  }

  protected searchChanged(value: string): void {
    this.search.next(value);
  }

  protected clearFilters(): void {
    this.q.set('');
    this.status.set('any');
    this.card.set('any');
  }

  protected create(): void {
    this.openDialog({});
  }

  protected edit(plumber: Plumber): void {
    this.openDialog({ plumber });
  }

  private openDialog(data: PlumberDialogData): void {
    this.dialog
      .open<PlumberDialog, PlumberDialogData, Plumber>(PlumberDialog, {
        data,
        width: '720px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .subscribe((saved) => {
        if (!saved) return;
        if (data.plumber) {
          this.replace(saved);
          this.notifier.info(`${plumberName(saved)} saved.`);
        } else {
          this.list.items.update((items) => [saved, ...items]);
          this.notifier.info(`${plumberName(saved)} added. They get a link to save their card.`);
        }
      });
  }

  protected toggleAvailable(plumber: Plumber, change: MatSlideToggleChange): void {
    const available = change.checked;
    this.busy(plumber.id, true);
    this.api.updatePlumber(plumber.id, { available }).subscribe({
      next: (saved) => {
        this.replace(saved);
        this.busy(plumber.id, false);
        this.notifier.info(
          `${plumberName(saved)} is now ${saved.available ? 'available for leads' : 'paused: no lead offers'}.`,
        );
      },
      error: (error: unknown) => {
        change.source.checked = plumber.available;
        this.busy(plumber.id, false);
        this.notifier.error(error);
      },
    });
  }

  protected sendCardLink(plumber: Plumber): void {
    const name = plumberName(plumber);
    const data: ConfirmData = {
      title: `Send ${name} a new card link?`,
      message: `${name} gets a new single-use link by SMS and email to save a card. It works for 7 days; links sent before stop working.`,
      confirm: 'Send link',
    };
    this.dialog
      .open<ConfirmDialog, ConfirmData, boolean>(ConfirmDialog, { data, width: '440px' })
      .afterClosed()
      .subscribe((confirmed) => {
        if (!confirmed) return;
        this.busy(plumber.id, true);
        this.api.sendCardLink(plumber.id).subscribe({
          next: (link) => {
            this.busy(plumber.id, false);
            const expires = new Date(link.expiresAt).toLocaleDateString('en-US', {
              month: 'short',
              day: 'numeric',
            });
            this.notifier.info(`Card link sent to ${name}; it expires ${expires}.`);
          },
          error: (error: unknown) => {
            this.busy(plumber.id, false);
            this.notifier.error(error);
          },
        });
      });
  }

  private busy(id: string, on: boolean): void {
    this.saving.update((ids) => {
      const next = new Set(ids);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  private replace(saved: Plumber): void {
    // A PATCH answers with the registry's plumber; keep the stats the list brought.
    this.list.items.update((items) =>
      items.map((item) =>
        item.id === saved.id ? { ...saved, leadStats: saved.leadStats ?? item.leadStats ?? null } : item,
      ),
    );
  }
}
