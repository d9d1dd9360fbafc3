import { Component, computed, effect, inject, signal, untracked } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatTableModule } from '@angular/material/table';
import { Router, RouterLink } from '@angular/router';

import { AdminApi } from '../../core/admin-api';
import type { Partner, PartnerStats } from '../../core/api-types';
import { CursorList } from '../../shared/cursor-list';
import { CentsPipe } from '../../shared/format';
import { Notifier } from '../../shared/notifier';
import { columnsFor, injectScreenSize } from '../../shared/screen';
import { StateBadge } from '../../shared/state-badge';
import { StatePanel } from '../../shared/state-panel';
import type { PartnerDialogData } from './dialogs/partner-dialog';
import { PartnerDialog } from './dialogs/partner-dialog';

/** A row's all-time stats: on their way, arrived, or not available (the row still shows). */
type RowStats = 'loading' | 'error' | PartnerStats;

@Component({
  selector: 'app-partners',
  imports: [
    CentsPipe,
    MatButtonModule,
    MatIconModule,
    MatProgressBarModule,
    MatTableModule,
    RouterLink,
    StateBadge,
    StatePanel,
  ],
  templateUrl: './partners.html',
  styleUrl: './partners.scss',
})
export class PartnersPage {
  private readonly api = inject(AdminApi);
  private readonly dialog = inject(MatDialog);
  private readonly notifier = inject(Notifier);
  private readonly router = inject(Router);

  protected readonly list = new CursorList<Partner>((page) => this.api.partners(page));
  protected readonly trackById = (_index: number, partner: Partner): string => partner.id;
  protected readonly stats = signal<ReadonlyMap<string, RowStats>>(new Map());

  private readonly screen = injectScreenSize();
  protected readonly columns = computed(() =>
    columnsFor(this.screen(), {
      phone: ['name', 'status', 'sold'],
      tablet: ['name', 'status', 'keys', 'posted', 'sold', 'revenue'],
      wide: [
        'name',
        'contact',
        'status',
        'keys',
        'rate',
        'payout',
        'webhook',
        'posted',
        'accepted',
        'sold',
        'revenue',
      ],
    }),
  );

  constructor() {
    this.list.reload();
    // Stats come per partner; ask for the rows that arrived without them.
    effect(() => {
      const partners = this.list.items();
      untracked(() => this.loadStats(partners));
    });
  }

  private loadStats(partners: readonly Partner[]): void {
    const missing = partners.filter((partner) => !this.stats().has(partner.id));
    if (missing.length === 0) return;
    this.stats.update((map) => new Map([...map, ...missing.map((p) => [p.id, 'loading'] as const)]));
    for (const partner of missing) {
      this.api.partnerStats(partner.id, {}).subscribe({
        next: (stats) => this.setStats(partner.id, stats),
        error: () => this.setStats(partner.id, 'error'),
      });
    }
  }

  private setStats(id: string, stats: RowStats): void {
    this.stats.update((map) => new Map(map).set(id, stats));
  }

  protected statsOf(partner: Partner): PartnerStats | null {
    const stats = this.stats().get(partner.id);
    return typeof stats === 'object' ? stats : null;
  }

  protected activeKeys(partner: Partner): number {
    return partner.keys.filter((key) => !key.revokedAt).length;
  }

  protected open(partner: Partner): void {
    void this.router.navigate(['/partners', partner.id]);
  }

  protected create(): void {
    this.dialog
      .open<PartnerDialog, PartnerDialogData, Partner>(PartnerDialog, {
        data: {},
        width: '640px',
        maxWidth: '95vw',
      })
      .afterClosed()
      .subscribe((partner) => {
        if (!partner) return;
        this.list.items.update((items) => [partner, ...items]);
        this.notifier.info(`${partner.name} added. Issue it an API key from its page.`);
      });
  }
}
