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
import type { Locksmith, LocksmithStatus } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { SecondsPipe } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import type { LocksmithDialogData } from './locksmith-dialog';
import { LocksmithDialog } from './locksmith-dialog';
import { ServiceNamePipe } from '../../shared/service-names';

type Availability = 'any' | 'yes' | 'no';

@Component({
  selector: 'app-locksmiths',
  imports: [
    ServiceNamePipe,
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
  templateUrl: './locksmiths.html',
  styleUrl: './locksmiths.scss',
})
export class LocksmithsPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);

  protected readonly q = signal('');
  protected readonly status = signal<LocksmithStatus | 'any'>('any');
  protected readonly availability = signal<Availability>('any');
  protected readonly filtered = computed(
    () => !!this.q() || this.status() !== 'any' || this.availability() !== 'any',
  );
  /** Rows whose availability switch is being saved. */
  protected readonly saving = signal<ReadonlySet<string>>(new Set());

  private readonly screen = injectScreenSize();
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['name', 'available', 'edit'],
      tablet: ['name', 'phone', 'status', 'available', 'acceptance', 'edit'],
      wide: ['name', 'phone', 'services', 'status', 'available', 'radius', 'acceptance', 'response', 'edit'],
    }),
  );

  private readonly query = computed(() => {
    const status = this.status();
    const availability = this.availability();
    return {
      q: this.q() || undefined,
      status: status === 'any' ? undefined : status,
      available: availability === 'any' ? undefined : availability === 'yes',
    };
  });

  protected readonly list = new CursorList<Locksmith>(({ cursor }) =>
    this.api.locksmiths({ ...this.query(), cursor }),
  );
  protected readonly trackById = (_index: number, locksmith: Locksmith): string => locksmith.id;

  private readonly search = new Subject<string>();

  constructor() {
    effect(() => {
      this.query();
      untracked(() => this.list.reload());
    });
    this.search.pipe(debounceTime(300), takeUntilDestroyed()).subscribe((q) => this.q.set(q.trim()));
  }

  protected searchChanged(value: string): void {
    this.search.next(value);
  }

  protected clearFilters(): void {
    this.q.set('');
    this.status.set('any');
    this.availability.set('any');
  }

  protected create(): void {
    this.openDialog({});
  }

  protected edit(locksmith: Locksmith): void {
    this.openDialog({ locksmith });
  }

  private openDialog(data: LocksmithDialogData): void {
    this.dialog
      .open<LocksmithDialog, LocksmithDialogData, Locksmith>(LocksmithDialog, {
        data,
        width: '640px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .subscribe((saved) => {
        if (!saved) return;
        if (data.locksmith) {
          this.replace(saved);
          this.notifier.info(`${saved.name} saved.`);
        } else {
          this.list.items.update((items) => [saved, ...items]);
          this.notifier.info(`${saved.name} added.`);
        }
      });
  }

  protected toggleAvailable(locksmith: Locksmith, change: MatSlideToggleChange): void {
    const available = change.checked;
    this.saving.update((ids) => new Set([...ids, locksmith.id]));
    this.api.updateLocksmith(locksmith.id, { available }).subscribe({
      next: (saved) => {
        this.replace(saved);
        this.done(locksmith.id);
        this.notifier.info(`${saved.name} is now ${saved.available ? 'available' : 'unavailable'}.`);
      },
      error: (error: unknown) => {
        change.source.checked = locksmith.available;
        this.done(locksmith.id);
        this.notifier.error(error);
      },
    });
  }

  private done(id: string): void {
    this.saving.update((ids) => new Set([...ids].filter((other) => other !== id)));
  }

  private replace(saved: Locksmith): void {
    this.list.items.update((items) => items.map((item) => (item.id === saved.id ? saved : item)));
  }
}
